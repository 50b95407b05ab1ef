import Kernels
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport

/// The inference form (`InferenceModel`: BatchNorm folded, ReLU and residual sums fused, no
/// autodiff graph) against the training graph in evaluation mode, on the smallest member of every
/// zoo family and with every head, after the BatchNorm statistics and affine parameters are made
/// far from their initial identity (so the folding does something). Every backbone, the zoo's and
/// one in no zoo (`BranchingBackbone`), runs lowered from its captured graph.
@Suite struct InferenceFormTests {
    static let families = SmallBackbones.zooFamilies + ["branching"]

    static func backbone(_ family: String, generator: inout RandomGenerator) -> any Backbone {
        SmallBackbones.backbone(family, generator: &generator)
    }

    static func classifier(_ backbone: any Backbone, head: HeadConfiguration.Kind, side: Int, generator: inout RandomGenerator) -> ImageClassifier {
        SmallBackbones.classifier(backbone, head: HeadConfiguration(kind: head), side: side, generator: &generator)
    }

    @Test(arguments: families)
    func logitsMatchTheTrainingGraph(family: String) {
        var generator = RandomGenerator(seed: 11)
        let model = Self.classifier(Self.backbone(family, generator: &generator), head: .gapfc, side: 32, generator: &generator)
        let images = Tensor.randomNormal([3, 3, 32, 32], generator: &generator)
        model.eval()
        let expected = withoutGradients { model(images) }
        let inference = InferenceModel(model)
        #expect(inference.runsLoweredBackbone, "\(family) fell back to the module's own forward")
        let logits = inference(images)
        #expect(relativeError(logits, expected) <= 1e-5, "\(family): \(relativeError(logits, expected))")
        // A second input shape on the same form (the primitives are made per shape): one image.
        let single = Tensor(Array(images.scalars.prefix(3 * 32 * 32)), shape: [1, 3, 32, 32])
        let singleExpected = Tensor(Array(expected.scalars.prefix(5)), shape: [1, 5])
        #expect(relativeError(inference(single), singleExpected) <= 1e-5, "\(family), one image")
    }

    /// Winograd in every 3x3 stride-1 convolution: oneDNN's where it has one (all but the
    /// 3-channel stem, on AVX-512), else ours (`WinogradConvolution`, the stem too): the logits
    /// still equal the training graph's to 1e-5.
    @Test func winogradFormMatchesTheTrainingGraph() {
        var generator = RandomGenerator(seed: 12)
        let model = Self.classifier(Self.backbone("wrn", generator: &generator), head: .gapfc, side: 32, generator: &generator)
        let images = Tensor.randomNormal([3, 3, 32, 32], generator: &generator)
        model.eval()
        let expected = withoutGradients { model(images) }
        let logits = InferenceModel(model, convolutions: .winograd)(images)
        #expect(relativeError(logits, expected) <= 1e-5, "\(relativeError(logits, expected))")
    }

    @Test(arguments: HeadConfiguration.Kind.allCases)
    func everyHeadMatchesTheTrainingGraph(head: HeadConfiguration.Kind) {
        var generator = RandomGenerator(seed: 12)
        let model = Self.classifier(CIFARResNet(depth: 8, generator: &generator), head: head, side: 32, generator: &generator)
        let images = Tensor.randomNormal([4, 3, 32, 32], generator: &generator)
        model.eval()
        let expected = withoutGradients { model(images) }
        // Made while the model is in training mode: the form runs the head in evaluation mode
        // anyway and leaves the model's mode as it found it.
        model.train()
        let logits = InferenceModel(model)(images)
        #expect(model.head.isTraining && model.backbone.isTraining)
        #expect(relativeError(logits, expected) <= 1e-5, "\(head): \(relativeError(logits, expected))")
    }

    @Test func aFormKeepsTheWeightsItWasMadeFrom() {
        var generator = RandomGenerator(seed: 13)
        let model = Self.classifier(CIFARResNet(depth: 8, generator: &generator), head: .gapfc, side: 32, generator: &generator)
        let images = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        model.eval()
        let before = withoutGradients { model(images) }
        let old = InferenceModel(model)
        SmallBackbones.perturbNormalization(model, generator: &generator)
        let after = withoutGradients { model(images) }
        #expect(relativeError(after, before) > 1e-2)
        #expect(relativeError(old(images), before) <= 1e-5)
        #expect(relativeError(InferenceModel(model)(images), after) <= 1e-5)
    }
}
