import Kernels
import NN
import Tensors

/// A backbone's inference form: images (N, C, H, W) in, the feature map out, with the weights
/// as they were when it was made. Build a new one after the weights change.
protocol InferenceBackbone {
    func callAsFunction(_ images: Tensor) -> Tensor
}

enum InferenceBackbones {
    /// The folded and fused form of every zoo family, the backbone itself in evaluation mode for
    /// the others (DenseNet already normalises straight into its convolutions' input; a
    /// pre-activation BN-ReLU between padded convolutions cannot fold into either).
    static func make(_ backbone: any Backbone, algorithm: ConvolutionAlgorithm) -> any InferenceBackbone {
        switch backbone {
        case let network as CIFARResNet: ResidualNetworkInference(network, algorithm: algorithm)
        case let network as ImageNetResNet: ResidualNetworkInference(network, algorithm: algorithm)
        case let network as WideResNet: WideResNetInference(network, algorithm: algorithm)
        case let network as PyramidNet: PyramidNetInference(network, algorithm: algorithm)
        default: EvaluationModeBackbone(backbone)
        }
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
