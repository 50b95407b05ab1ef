import GraphRuntime
import ModelGraph
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport

/// A model whose output depends on an op outside the graph op set must fail to capture with a
/// one-line error naming the op and where it ran, never yield a graph that differs from it.
@Suite struct UntraceableOpTests {
    /// x·sigmoid(x), a layer made of ops the graph does not have.
    final class Swish: Module, Layer {
        override init() {}
        func callAsFunction(_ input: Tensor) -> Tensor { input * input.sigmoid() }
    }

    final class SwishBackbone: Module, Backbone {
        let features: Sequential

        init(generator: inout RandomGenerator) {
            features = Sequential(Conv2d(3, 8, kernelSize: 3, padding: 1, generator: &generator), Swish(),
                                  Conv2d(8, 8, kernelSize: 3, padding: 1, generator: &generator))
        }

        var featureChannels: Int { 8 }
        var downsampling: Int { 1 }
        func callAsFunction(_ images: Tensor) -> Tensor { features(images) }
    }

    /// Scales its input outside any layer: `x * 2` is not in the op set either.
    final class ScalingBackbone: Module, Backbone {
        let conv: Conv2d

        init(generator: inout RandomGenerator) {
            conv = Conv2d(3, 4, kernelSize: 1, generator: &generator)
        }

        var featureChannels: Int { 4 }
        var downsampling: Int { 1 }
        func callAsFunction(_ images: Tensor) -> Tensor { conv(images) * 2 }
    }

    /// A dead branch with an unsupported op does not feed the output: capture succeeds without it.
    final class DeadBranchBackbone: Module, Backbone {
        let conv: Conv2d

        init(generator: inout RandomGenerator) {
            conv = Conv2d(3, 4, kernelSize: 1, generator: &generator)
        }

        var featureChannels: Int { 4 }
        var downsampling: Int { 1 }
        func callAsFunction(_ images: Tensor) -> Tensor {
            let features = conv(images)
            _ = features.tanh()
            return features
        }
    }

    static func classifier(_ backbone: any Backbone, generator: inout RandomGenerator) -> ImageClassifier {
        let head = GlobalAveragePoolingHead(channels: backbone.featureChannels, classes: 3, generator: &generator)
        return ImageClassifier(backbone: backbone, head: head, headPrefix: "head")
    }

    func captureError(_ model: ImageClassifier) -> String? {
        do {
            _ = try GraphCapture.capture(model, inputShape: [3, 8, 8])
            return nil
        } catch {
            return error.description
        }
    }

    @Test func anUnsupportedLayerIsNamedWithItsPath() {
        var generator = RandomGenerator(seed: 1)
        let message = captureError(Self.classifier(SwishBackbone(generator: &generator), generator: &generator))
        #expect(message == "graph capture: op 'multiply' in module 'features.1' is outside the graph op set; its result feeds convolution at 'features.2'")
    }

    @Test func anUnsupportedOpOutsideAnyLayerIsNamed() {
        var generator = RandomGenerator(seed: 2)
        let message = captureError(Self.classifier(ScalingBackbone(generator: &generator), generator: &generator))
        #expect(message == "graph capture: op 'multiply' is outside the graph op set; its result feeds global_average_pool at ''")
    }

    @Test func aDeadBranchDoesNotFailTheCapture() throws {
        var generator = RandomGenerator(seed: 3)
        let graph = try GraphCapture.capture(Self.classifier(DeadBranchBackbone(generator: &generator), generator: &generator), inputShape: [3, 8, 8])
        #expect(graph.nodes.map(\.operation.kind) == ["convolution", "global_average_pool", "linear"])
        #expect(graph.values.count == 4)
    }
}
