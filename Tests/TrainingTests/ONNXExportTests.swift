import Foundation
import Kernels
import Models
import MultiProxy
import NN
import OptimalTransport
import Testing
import Tensors
import TestSupport
@testable import Training

/// `mpw export` checked by the other side's own software: `onnx.checker` (full check) accepts
/// every exported model, and ONNX Runtime's logits equal the library's evaluation-mode forward
/// pass on the same inputs, at batch sizes 1 and 3 through one dynamic-batch graph.
@Suite(.serialized, .enabled(if: PythonTools.has("onnx") && PythonTools.has("onnxruntime"),
                             Comment(rawValue: PythonTools.missing("onnx and onnxruntime"))))
struct ONNXExportTests {
    /// Checks every model of a manifest and writes ONNX Runtime's logits for each input file.
    static let runner = """
        import json, sys
        import numpy as np, onnx, onnxruntime as ort
        manifest = json.load(open(sys.argv[1]))
        for entry in manifest:
            model = onnx.load(entry["model"])
            onnx.checker.check_model(model, full_check=True)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            session = ort.InferenceSession(entry["model"], options, providers=["CPUExecutionProvider"])
            for run in entry["runs"]:
                images = np.fromfile(run["input"], dtype=np.float32).reshape(run["shape"])
                logits = session.run(["logits"], {"images": images})[0]
                logits.astype(np.float32).tofile(run["output"])
            with open(entry["model"] + ".metadata.json", "w") as f:
                json.dump({p.key: p.value for p in model.metadata_props}, f)
        print("checked", len(manifest))
        """

    /// A model under test: the classifier, its input shape and our logits for each batch.
    struct Case {
        let name: String
        let classifier: ImageClassifier
        let inputShape: (channels: Int, height: Int, width: Int)
        var metadata: [(String, String)] = []
    }

    /// Every head of the paper, and the MPW head's stopping rules, exponent and bias.
    static let heads: [(String, HeadConfiguration)] = {
        var batchRule = WassersteinMatching()
        batchRule.sinkhorn.stopRule = .batchAbsolute
        var squared = WassersteinMatching()
        squared.costExponent = 2
        squared.sinkhorn.threshold = 0.01
        return [
            ("gapfc", HeadConfiguration(kind: .gapfc)),
            ("multifc-avg", HeadConfiguration(kind: .multiFCAverage, proxies: 3)),
            ("multifc-flatten", HeadConfiguration(kind: .multiFCFlatten)),
            ("multifc-cosine", HeadConfiguration(kind: .multiFCCosine, proxies: 3)),
            ("bilinear", HeadConfiguration(kind: .bilinear)),
            ("wsdan", HeadConfiguration(kind: .wsdan, proxies: 4)),
            ("mpw", HeadConfiguration(kind: .mpw, proxies: 4)),
            ("mpw-batch-absolute", HeadConfiguration(kind: .mpw, proxies: 4, wasserstein: batchRule)),
            ("mpw-p2-bias", HeadConfiguration(kind: .mpw, proxies: 3, wasserstein: squared, bias: true)),
        ]
    }()

    /// The smallest member of each backbone family, with a small input.
    static var families: [(name: String, inputSize: Int, build: (inout RandomGenerator) -> any Backbone)] { [
        ("cifar-resnet8", 16, { CIFARResNet(depth: 8, generator: &$0) }),
        ("wrn10-1", 16, { WideResNet(depth: 10, widenFactor: 1, generator: &$0) }),
        ("densenet7", 16, { DenseNet(depth: 7, growthRate: 4, bottleneck: false, compression: 0.5, generator: &$0) }),
        ("densenet-bc10", 16, { DenseNet(depth: 10, growthRate: 4, bottleneck: true, compression: 0.5, generator: &$0) }),
        ("pyramidnet11", 16, { PyramidNet(depth: 11, alpha: 12, generator: &$0) }),
        ("resnet18", 64, { ImageNetResNet(depth: 18, generator: &$0) }),
        ("resnet50", 32, { ImageNetResNet(depth: 50, generator: &$0) }),
    ] }

    /// The bottleneck ResNets are large (94 MB for ResNet-50): their blocks are checked with two heads.
    static func heads(for family: String) -> [(String, HeadConfiguration)] {
        family == "resnet50" ? heads.filter { ["gapfc", "mpw"].contains($0.0) } : heads
    }

    /// Random BatchNorm statistics and affine parameters, so the exported normalisation is exercised.
    static func randomizeNormalization(_ model: Module, generator: inout RandomGenerator) {
        for module in model.modules {
            guard let norm = module as? BatchNorm2d else { continue }
            let channels = norm.weight.shape[0]
            norm.weight.value = .randomUniform([channels], lower: 0.5, upper: 1.5, generator: &generator)
            norm.bias.value = .randomUniform([channels], lower: -0.2, upper: 0.2, generator: &generator)
            norm.runningMean.value = .randomUniform([channels], lower: -0.2, upper: 0.2, generator: &generator)
            norm.runningVariance.value = .randomUniform([channels], lower: 0.5, upper: 1.5, generator: &generator)
        }
        if let head = (model as? ImageClassifier)?.head as? MultiProxyHead, let bias = head.bias {
            bias.value = .randomUniform([head.classes], lower: -0.5, upper: 0.5, generator: &generator)
        }
    }

    static func classifier(_ backbone: any Backbone, head: HeadConfiguration, inputSize: Int, classes: Int,
                           generator: inout RandomGenerator) -> ImageClassifier {
        let side = backbone.featureSize(forInput: inputSize)
        let model = ImageClassifier(backbone: backbone,
                                    head: head.makeHead(channels: backbone.featureChannels, height: side, width: side, classes: classes,
                                                        generator: &generator),
                                    headPrefix: "head")
        randomizeNormalization(model, generator: &generator)
        model.eval()
        return model
    }

    /// Exports every case, runs them all through one Python process and compares the logits
    /// at batch sizes 1 and 3; returns the largest relative difference and each case's metadata.
    static func check(_ cases: [Case], exported: (Case) throws -> Data) throws -> (difference: Float, metadata: [String: [String: String]]) {
        let root = try TemporaryDirectory()
        var generator = RandomGenerator(seed: 11)
        var manifest: [[String: Any]] = []
        var expected: [String: Tensor] = [:]
        for (index, testCase) in cases.enumerated() {
            let modelURL = root.file("\(index).onnx")
            try exported(testCase).write(to: modelURL)
            var runs: [[String: Any]] = []
            for batch in [1, 3] {
                let (c, h, w) = testCase.inputShape
                let images = Tensor.randomNormal([batch, c, h, w], generator: &generator)
                let input = root.file("\(index)-\(batch).in"), output = root.file("\(index)-\(batch).out")
                try images.scalars.withUnsafeBytes { Data($0) }.write(to: input)
                expected[output.path] = withoutGradients { testCase.classifier(images) }
                runs.append(["input": input.path, "output": output.path, "shape": [batch, c, h, w]])
            }
            manifest.append(["model": modelURL.path, "runs": runs])
        }
        let manifestURL = root.file("manifest.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        let outcome = try PythonTools.run(["-c", runner, manifestURL.path])
        #expect(outcome.status == 0, "\(outcome.output)")
        guard outcome.status == 0 else { return (.infinity, [:]) }

        var largest: Float = 0
        for (index, testCase) in cases.enumerated() {
            for batch in [1, 3] {
                let path = root.file("\(index)-\(batch).out").path
                let ours = expected[path]!
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                #expect(theirs.count == ours.count, "\(testCase.name) batch \(batch): ONNX Runtime gave \(theirs.count) logits, we \(ours.count)")
                guard theirs.count == ours.count else { continue }
                let classes = ours.shape[1]
                let values = ours.scalars
                for row in 0..<batch {
                    let range = (row * classes)..<((row + 1) * classes)
                    let scale = max(values[range].map(abs).max() ?? 0, .leastNormalMagnitude)
                    let difference = range.map { abs(values[$0] - theirs[$0]) }.max()! / scale
                    largest = max(largest, difference)
                    #expect(difference <= 1e-5, "\(testCase.name) batch \(batch) row \(row): relative difference \(difference)")
                }
            }
        }
        var metadata: [String: [String: String]] = [:]
        for (index, testCase) in cases.enumerated() {
            let data = try Data(contentsOf: URL(fileURLWithPath: root.file("\(index).onnx").path + ".metadata.json"))
            metadata[testCase.name] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return (largest, metadata)
    }

    /// Every head on every backbone family, with random weights and BatchNorm statistics.
    @Test func everyBackboneFamilyWithEveryHeadMatchesOnnxRuntime() throws {
        var generator = RandomGenerator(seed: 5)
        var cases: [Case] = []
        for family in Self.families {
            for (headName, head) in Self.heads(for: family.name) {
                let model = Self.classifier(family.build(&generator), head: head, inputSize: family.inputSize, classes: 5,
                                            generator: &generator)
                cases.append(Case(name: "\(family.name) + \(headName)", classifier: model, inputShape: (3, family.inputSize, family.inputSize)))
            }
        }
        let result = try Self.check(cases) { testCase in
            try ONNXExport.model(testCase.classifier, inputShape: testCase.inputShape, metadata: []).serializedBytes()
        }
        print("ONNX export: \(cases.count) backbone + head pairs, largest relative logit difference \(result.difference)")
    }

    /// A backbone defined only in the test suite (a concatenation and a max pool), which no
    /// export code names: the export is derived from its captured graph.
    @Test func aBackboneOutsideTheZooMatchesOnnxRuntime() throws {
        var generator = RandomGenerator(seed: 8)
        let cases = try ["gapfc", "mpw", "multifc-flatten"].map { name in
            let head = try #require(Self.heads.first { $0.0 == name }).1
            let model = Self.classifier(BranchingBackbone(generator: &generator), head: head, inputSize: 12, classes: 4, generator: &generator)
            return Case(name: "branching + \(name)", classifier: model, inputShape: (3, 12, 12))
        }
        _ = try Self.check(cases) { testCase in
            try ONNXExport.model(testCase.classifier, inputShape: testCase.inputShape, metadata: []).serializedBytes()
        }
    }

    /// The checkpoint path `mpw export` takes: a checkpoint saved as the Trainer saves it, read
    /// back as `mpw eval` reads it; the metadata says how to feed the model.
    @Test func aCheckpointExportsWithItsPreprocessingInTheMetadata() throws {
        let root = try TemporaryDirectory()
        var configuration = TrainerTests.configuration(data: root.url, head: .mpw)
        configuration.dataset = "fashion-mnist"
        var generator = RandomGenerator(seed: 2)
        let model = try ModelZoo.classifier("resnet20", head: try configuration.head.configuration(), classes: 10, inputChannels: 1,
                                            inputSize: 32, generator: &generator)
        Self.randomizeNormalization(model, generator: &generator)
        let path = root.file("last.safetensors")
        let names = (0..<10).map { "class \($0)" }
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start, classNames: names)
        let trained = try TrainedModel(checkpoint: Checkpoint.read(path))
        let exported = try ONNXExport.model(trained)
        let result = try Self.check([Case(name: "checkpoint", classifier: trained.model, inputShape: trained.inputShape)]) { _ in
            try exported.serializedBytes()
        }
        let metadata = try #require(result.metadata["checkpoint"])
        #expect(metadata["model"] == "resnet20")
        #expect(metadata["head"] == "mpw")
        #expect(metadata["head_settings"] == (try configuration.head.configuration()).description)
        #expect(metadata["input_channels"] == "1" && metadata["input_height"] == "32" && metadata["input_width"] == "32")
        #expect(metadata["greyscale_adaptation"] == "pad-to-32")
        #expect(try JSONDecoder().decode([Float].self, from: Data(#require(metadata["mean"]).utf8)) == trained.transform.normalization.mean)
        #expect(try JSONDecoder().decode([Float].self, from: Data(#require(metadata["std"]).utf8))
            == trained.transform.normalization.standardDeviation)
        #expect(try JSONDecoder().decode([String].self, from: Data(#require(metadata["class_names"]).utf8)) == names)
        #expect(metadata["mpw_version"] == MPWVersion.string)
        #expect(metadata["sinkhorn_stop_rule"] == "relative" && metadata["sinkhorn_lambda"] == "0.1" && metadata["cost_exponent"] == "1.0")
    }

    /// What has no ONNX form is refused in one line naming it.
    @Test func unbalancedTransportAndTheLogDomainAreRefused() throws {
        var generator = RandomGenerator(seed: 3)
        var unbalanced = WassersteinMatching()
        unbalanced.transport = try TransportSpecification("unbalanced:1")
        var tiny = WassersteinMatching()
        tiny.sinkhorn.lambda = 0.01
        for (settings, words) in [(unbalanced, "unbalanced transport"), (tiny, "log-domain")] {
            let model = Self.classifier(CIFARResNet(depth: 8, generator: &generator), head: HeadConfiguration(kind: .mpw, wasserstein: settings),
                                        inputSize: 16, classes: 3, generator: &generator)
            #expect {
                _ = try ONNXExport.model(model, inputShape: (3, 16, 16), metadata: [])
            } throws: { error in
                "\(error)".contains(words) && !"\(error)".contains("\n")
            }
        }
    }
}
