import Foundation
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport
@testable import Training

/// `--init`: the PyTorch ResNet-8 files load into our CIFAR ResNet-8; heads are kept, replaced
/// or seeded as documented; mismatches list their keys.
@Suite struct FineTuningTests {
    static func resnet8(_ head: HeadConfiguration, classes: Int = 10, seed: UInt64 = 1) -> ImageClassifier {
        var generator = RandomGenerator(seed: seed)
        let backbone = CIFARResNet(depth: 8, generator: &generator)
        return ImageClassifier(backbone: backbone,
                               head: head.makeHead(channels: 64, height: 8, width: 8, classes: classes, generator: &generator),
                               headPrefix: "head")
    }

    static func pth(_ name: String) -> String { Oracles.directory.appendingPathComponent("pth/" + name).path }

    @discardableResult
    static func transfer(_ weights: InitialWeights, to model: ImageClassifier, noise: Float = 0.05) throws -> HeadTransfer {
        var generator = RandomGenerator(seed: 9)
        return try WeightTransfer.apply(weights, to: model, proxyNoise: noise, generator: &generator)
    }

    static func expectState(of model: Module, equals file: SafeTensorsFile, prefix: String = "") throws {
        for (name, value) in model.stateDict() {
            #expect(value.contiguous().scalars.map(\.bitPattern) == (try file.floats(prefix + name)).map(\.bitPattern), "\(name)")
        }
    }

    @Test(arguments: ["resnet8_state_dict.pth", "resnet8_legacy.pth", "resnet8_checkpoint.pth.tar", "resnet8_dataparallel.pth",
                      "resnet8_state_dict.expected.safetensors", "resnet8_dataparallel.expected.safetensors"])
    func pyTorchResNet8LoadsIntoOurs(_ name: String) throws {
        let model = Self.resnet8(HeadConfiguration(kind: .gapfc))
        let weights = try InitialWeights.read(Self.pth(name))
        #expect(weights.format == (name.hasSuffix(".safetensors") ? .safeTensors : .torch))
        #expect(try Self.transfer(weights, to: model) == .kept)
        let stem = name.components(separatedBy: ".")[0]
        try Self.expectState(of: model, equals: try Oracles.file("pth/\(stem).expected.safetensors"),
                             prefix: stem.hasSuffix("dataparallel") ? "module." : "")
    }

    @Test func anMPWCheckpointLoadsItsModelTensors() throws {
        let directory = try TemporaryDirectory()
        let source = Self.resnet8(HeadConfiguration(kind: .mpw), seed: 5)
        let configuration = TrainerTests.configuration(data: directory.url)
        try Checkpoint.write(to: directory.file("last.safetensors"), model: source, optimizer: nil, configuration: configuration, state: .start)
        let weights = try InitialWeights.read(directory.file("last.safetensors").path)
        #expect(weights.format == .mpwCheckpoint)
        let model = Self.resnet8(HeadConfiguration(kind: .mpw))
        #expect(try Self.transfer(weights, to: model) == .kept)
        try Self.expectState(of: model, equals: try SafeTensorsFile(contentsOf: directory.file("last.safetensors")), prefix: "model.")
    }

    @Test func theHeadIsReplacedWhenTheClassesDiffer() throws {
        let model = Self.resnet8(HeadConfiguration(kind: .gapfc), classes: 5)
        let fresh = model.head.stateDict().map(\.value.scalars)
        #expect(try Self.transfer(try InitialWeights.read(Self.pth("resnet8_state_dict.pth")), to: model) == .replaced(fileClasses: 10, classes: 5))
        #expect(model.head.stateDict().map(\.value.scalars) == fresh)
        try Self.expectState(of: model.backbone, equals: try Oracles.file("pth/resnet8_state_dict.expected.safetensors"))
    }

    @Test func otherMismatchesListTheKeysAndChangeNothing() throws {
        var generator = RandomGenerator(seed: 1)
        let resnet20 = try ModelZoo.classifier("resnet20", head: HeadConfiguration(kind: .gapfc), classes: 10, generator: &generator)
        let before = resnet20.stateDict().map(\.value.scalars)
        let weights = try InitialWeights.read(Self.pth("resnet8_state_dict.pth"))
        #expect {
            try Self.transfer(weights, to: resnet20)
        } throws: { error in
            let text = "\(error)"
            return text.contains("resnet8_state_dict.pth: state dict does not fit the model: missing keys: layers.3.c1.weight")
                && !text.contains("\n")
        }
        #expect(resnet20.stateDict().map(\.value.scalars) == before)
        // Same classes, another head kind that cannot be seeded: the head's keys are listed.
        let multiFC = Self.resnet8(HeadConfiguration(kind: .multiFCAverage))
        #expect {
            try Self.transfer(weights, to: multiFC)
        } throws: { error in
            "\(error)".contains("missing keys: head.fc.0.weight") && "\(error)".contains("unexpected keys: head.fc.bias, head.fc.weight")
        }
    }

    /// With identical proxies per class the Sinkhorn plan is exactly uniform (each proxy costs the
    /// same at every position, and the iterations start at their fixed point), so the MPW score is
    /// sum_j (1/HW) <X_j, w_k>: the GAP-FC logit without its bias, for any input.
    @Test func gapFCSeedsWithoutNoiseReproduceTheLinearHeadExactly() throws {
        let weights = try InitialWeights.read(Self.pth("resnet8_state_dict.pth"))
        let gapfc = Self.resnet8(HeadConfiguration(kind: .gapfc))
        try Self.transfer(weights, to: gapfc)
        for bias in [false, true] {
            let mpw = Self.resnet8(HeadConfiguration(kind: .mpw, bias: bias))
            #expect(try Self.transfer(weights, to: mpw, noise: 0) == .seededFromLinear(proxies: 4, noise: 0, bias: bias ? .copied : .dropped))
            gapfc.eval()
            mpw.eval()
            let images = randomTensor([6, 3, 32, 32], seed: 4)
            let features = withoutGradients { gapfc.backbone(images) }
            let linear = gapfc.head as! GlobalAveragePoolingHead
            let expected = withoutGradients { bias ? linear(features) : Tensor.matmul(features.globalAveragePooled(), linear.fc.weight.value, transposeB: true) }
            let scores = withoutGradients { mpw(images) }
            #expect(relativeError(scores, expected) < 1e-5)
            let flow = (mpw.head as! MultiProxyHead).matchingFlow(for: features)
            #expect(flow.scalars.allSatisfy { abs($0 - 1 / 256) < 1e-7 })
        }
    }

    /// With the default noise (5 % of each row's RMS) the seeded MPW model ranks the classes as
    /// the GAP-FC model does on most images.
    @Test func seededProxiesStartWhereTheGAPFCModelWas() throws {
        let weights = try InitialWeights.read(Self.pth("resnet8_state_dict.pth"))
        let gapfc = Self.resnet8(HeadConfiguration(kind: .gapfc))
        let mpw = Self.resnet8(HeadConfiguration(kind: .mpw, bias: true))
        try Self.transfer(weights, to: gapfc)
        try Self.transfer(weights, to: mpw)
        gapfc.eval()
        mpw.eval()
        let images = randomTensor([64, 3, 32, 32], seed: 8)
        let expected = withoutGradients { gapfc(images) }.argmax(axis: 1).scalars
        let actual = withoutGradients { mpw(images) }.argmax(axis: 1).scalars
        let agreement = zip(expected, actual).filter { $0 == $1 }.count
        print("top-1 agreement of the seeded MPW model with the GAP-FC model: \(agreement) of 64")
        #expect(agreement >= 58)
    }
}
