import Foundation
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport
import TorchFormat
@testable import Training

/// `mpw convert CHECKPOINT model.pth`: every zoo model's state dict comes back from our own
/// torch.save reader exactly; with PyTorch installed, the reference modules of
/// Benchmarks/reference/pytorch/load_pth.py load the file with weights_only=True and strict
/// names and, run in float64, give our logits to 1e-5 of the largest (run with PYTHONPATH
/// naming a folder that holds torch and, for ResNet-18, torchvision).
@Suite struct PyTorchExportTests {
    static func classifier(_ model: String, _ head: HeadConfiguration.Kind, seed: UInt64 = 5) throws -> ImageClassifier {
        var generator = RandomGenerator(seed: seed)
        let classifier = try ModelZoo.classifier(model, head: HeadConfiguration(kind: head), classes: 10, generator: &generator)
        // Running statistics and affine parameters away from their initial 0/1, so the check sees them.
        for (name, parameter) in classifier.namedParameters() {
            let shape = parameter.shape
            if parameter.isInteger {
                parameter.value = Tensor([Float](repeating: 3, count: shape.reduce(1, *)), shape: shape)
            } else if name.hasSuffix("running_var") || (parameter.role == .normalization && name.hasSuffix("weight")) {
                parameter.value = .randomUniform(shape, lower: 0.8, upper: 1.2, generator: &generator)
            } else if name.hasSuffix("running_mean") || parameter.role == .normalization || parameter.role == .bias {
                parameter.value = .randomUniform(shape, lower: -0.1, upper: 0.1, generator: &generator)
            }
        }
        classifier.eval()
        return classifier
    }

    /// The checkpoint `mpw train` would write for `model`'s state, converted as `mpw convert` does.
    static func converted(_ model: ImageClassifier, in directory: TemporaryDirectory) throws -> (pth: URL, state: StateDictFile) {
        var writer = SafeTensorsWriter(metadata: ["format": Checkpoint.format])
        model.write(to: &writer, prefix: StateDictFile.checkpointPrefix)
        let checkpoint = directory.file("last.safetensors")
        try writer.write(to: checkpoint)
        let state = try StateDictFile.read(checkpoint.path)
        let pth = directory.file("model.pth")
        try AtomicFile.write(try state.torchArchive(for: pth.path), to: pth)
        return (pth, state)
    }

    static let zoo = ModelZoo.names.flatMap { model in [(model, HeadConfiguration.Kind.gapfc), (model, .mpw)] }

    @Test(arguments: zoo)
    func everyZooStateDictRoundTrips(_ model: String, _ head: HeadConfiguration.Kind) throws {
        let directory = try TemporaryDirectory()
        let classifier = try Self.classifier(model, head)
        let (pth, _) = try Self.converted(classifier, in: directory)
        let read = try TorchFile.readStateDict(contentsOf: pth)
        let expected = classifier.namedParameters()
        #expect(read.tensors.map(\.name) == expected.map(\.name))
        for ((name, tensor), (_, parameter)) in zip(read.tensors, expected) {
            #expect(tensor.shape == parameter.shape, "\(name)")
            if parameter.isInteger {
                #expect(tensor.dtype == .int64 && tensor.values == .integers(parameter.value.scalars.map { Int64($0) }), "\(name)")
            } else {
                #expect(tensor.dtype == .float32 && tensor.floats.map(\.bitPattern) == parameter.value.contiguous().scalars.map(\.bitPattern), "\(name)")
            }
        }
        if head == .mpw {
            let name = try ModelZoo.entry(model).headPrefix.isEmpty ? "proxies" : "head.proxies"
            let proxies = read.tensors.first { $0.name == name }
            #expect(proxies?.tensor.shape == [10, 4, classifier.backbone.featureChannels])
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/reference/pytorch/load_pth.py")

    static let checked: [(String, HeadConfiguration.Kind)] = [
        ("resnet20", .gapfc), ("resnet20", .mpw), ("wrn40_2", .gapfc), ("wrn40_2", .mpw), ("densenet100", .gapfc), ("densenet100", .mpw),
        ("pyramidnet200", .gapfc), ("pyramidnet200", .mpw), ("resnet18", .gapfc),
    ]

    @Test(.enabled(if: PythonTools.has("torch") && PythonTools.has("torchvision"), "needs torch and torchvision on PYTHONPATH"),
          arguments: checked)
    func pyTorchLoadsItAndGivesOurLogits(_ model: String, _ head: HeadConfiguration.Kind) throws {
        let directory = try TemporaryDirectory()
        let classifier = try Self.classifier(model, head)
        let (pth, _) = try Self.converted(classifier, in: directory)
        var generator = RandomGenerator(seed: 11)
        let side = model == "resnet18" ? 64 : 32
        let input = Tensor.randomNormal([2, 3, side, side], generator: &generator)
        let logits = withoutGradients { classifier(input) }
        let settings = WassersteinMatching().sinkhorn
        let dump: [String: Any] = [
            "input": Self.nested(input), "logits": Self.nested(logits),
            "lambda": Double(settings.lambda), "threshold": Double(settings.threshold), "max_iterations": settings.maximumIterations,
        ]
        let json = directory.file("logits.json")
        try JSONSerialization.data(withJSONObject: dump).write(to: json)
        let outcome = try PythonTools.run([Self.script.path, model, head.rawValue, pth.path, json.path])
        #expect(outcome.status == 0, "\(outcome.output)")
    }

    /// A tensor as nested arrays of Double (exact for Float values).
    static func nested(_ tensor: Tensor) -> Any {
        func build(_ values: ArraySlice<Float>, _ shape: ArraySlice<Int>) -> Any {
            guard let first = shape.first else { return Double(values.first!) }
            let inner = values.count / max(first, 1)
            return (0..<first).map { build(values.dropFirst($0 * inner).prefix(inner), shape.dropFirst()) }
        }
        return build(tensor.contiguous().scalars[...], tensor.shape[...])
    }
}
