import GraphRuntime
import Kernels
import NN
import Tensors

/// A backbone's inference form: images (N, C, H, W) in, the feature map out, with the weights
/// as they were when it was made. Build a new one after the weights change.
protocol InferenceBackbone {
    func callAsFunction(_ images: Tensor) -> Tensor
}

extension InferencePlan: InferenceBackbone {}

enum InferenceBackbones {
    /// The backbone's own forward pass captured as a graph and lowered (`InferencePlan`), for any
    /// backbone; the backbone itself in evaluation mode when its forward uses an op outside the
    /// graph op set, which then runs unfused but right.
    static func make(_ backbone: any Backbone, imageShape: [Int]?, algorithm: ConvolutionAlgorithm) -> any InferenceBackbone {
        guard let shape = imageShape ?? defaultImageShape(backbone),
              let graph = try? GraphCapture.capture(backbone, inputShape: shape),
              let plan = try? InferencePlan(graph: graph, weights: backbone.weights, convolutions: algorithm) else {
            return EvaluationModeBackbone(backbone)
        }
        return plan
    }

    /// The image shape to capture at when the caller names none: the channels the first
    /// convolution reads, and a side that leaves a feature map of at least 2x2.
    static func defaultImageShape(_ backbone: any Backbone) -> [Int]? {
        guard let stem = backbone.namedParameters().first(where: { $0.parameter.shape.count == 4 }) else { return nil }
        let side = max(32, 2 * backbone.downsampling)
        return [stem.parameter.shape[1], side, side]
    }
}

extension Module {
    /// Every parameter and buffer by its state-dict name, sharing storage with the module.
    var weights: [String: Tensor] {
        Dictionary(namedParameters().map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Any backbone run as a module in evaluation mode.
struct EvaluationModeBackbone: InferenceBackbone {
    let backbone: any Backbone
    let modules: [Module]

    init(_ backbone: any Backbone) {
        self.backbone = backbone
        modules = backbone.modules
    }

    func callAsFunction(_ images: Tensor) -> Tensor {
        EvaluationMode.run(modules) { backbone(images) }
    }
}

/// Evaluation mode for the length of one call, every module's own mode restored after (a
/// fine-tuning run keeps a frozen backbone in evaluation mode while its head trains).
enum EvaluationMode {
    /// `modules` in pre-order, as `Module.modules` lists them.
    static func run<R>(_ modules: [Module], _ body: () -> R) -> R {
        guard modules.contains(where: \.isTraining) else { return body() }
        let modes = modules.map(\.isTraining)
        modules.first?.setTraining(false)
        defer { for (module, training) in zip(modules, modes) where module.isTraining != training { module.setTraining(training) } }
        return body()
    }
}
