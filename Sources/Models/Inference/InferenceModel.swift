import GraphRuntime
import Kernels
import MultiProxy
import NN
import Synchronization
import Tensors

/// The inference form of a trained classifier: what evaluation, prediction, explanation and the
/// evaluation benchmarks run instead of the training graph. Made once from the classifier's
/// current weights (make a new one after they change, as the trainer does after every epoch):
/// the backbone's forward pass captured as a graph and lowered (`InferencePlan`: BatchNorm
/// folded into the convolutions, the ReLU and residual sum after a convolution done in its pass,
/// no autodiff graph), each convolution's primitive and reordered weights made once per input
/// shape. Activations pass between layers channels-last (the layout oneDNN's direct
/// kernels read and write); a convolution that runs Winograd (`ConvolutionAlgorithm`) works in
/// oneDNN's channel-blocked layout inside its call. Activations come from the block cache of
/// `AlignedMemory`, so a second batch of the same shape reuses the first one's buffers instead of
/// faulting in fresh pages; the convolutions' scratch (blocked copies, oneDNN's scratchpad) is
/// one `ConvolutionWorkspace` per concurrent pass, the size of the largest layer's need.
///
/// In bf16 (`precision`) the backbone runs as the classifier's own modules in evaluation mode
/// under `Autocast`, since the folded convolutions are float32.
public final class InferenceModel {
    public let head: any ClassificationHead
    public let precision: Precision?
    private let backbone: any InferenceBackbone
    private let headModules: [Module]
    /// Workspaces of passes not running now; a pass takes one (or makes one) and gives it back.
    private let workspaces = Mutex<[ConvolutionWorkspace]>([])

    /// `convolutions` chooses direct or Winograd sums (`.automatic`: Winograd where it is faster);
    /// `imageShape` (C, H, W) is the input the backbone's graph is captured at, by default the
    /// channels its first convolution reads at a side of 32 (more for ImageNet-style strides).
    public init(_ classifier: ImageClassifier, imageShape: [Int]? = nil, convolutions: ConvolutionAlgorithm = Convolution.algorithm) {
        head = classifier.head
        precision = classifier.precision
        backbone = precision == .bf16
            ? EvaluationModeBackbone(classifier.backbone)
            : InferenceBackbones.make(classifier.backbone, imageShape: imageShape, algorithm: convolutions)
        headModules = classifier.head.modules
    }

    /// True when the backbone runs lowered from its captured graph; false when its forward uses
    /// an op outside the graph op set (or the form is bf16) and it runs as a module.
    public var runsLoweredBackbone: Bool { backbone is InferencePlan }

    /// The backbone's feature map of (N, C, H, W) images.
    public func features(_ images: Tensor) -> Tensor {
        inScope { backbone(images) }
    }

    /// The head's logits of a feature map, with the head in evaluation mode.
    public func logits(features: Tensor) -> Tensor {
        inScope { EvaluationMode.run(headModules) { head(features) } }
    }

    /// The logits of (N, C, H, W) images.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        inScope { EvaluationMode.run(headModules) { head(backbone(images)) } }
    }

    /// Runs `body` with the head's modules in evaluation mode (for calls beyond `logits`, such
    /// as the multi-proxy head's matching flow).
    public func withHead<R>(_ body: (any ClassificationHead) -> R) -> R {
        inScope { EvaluationMode.run(headModules) { body(head) } }
    }

    /// Bytes of convolution workspace this form holds between passes.
    public var workspaceBytes: Int {
        workspaces.withLock { $0.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride } }
    }

    private func inScope<R>(_ body: () -> R) -> R {
        let workspace = workspaces.withLock { $0.popLast() } ?? ConvolutionWorkspace()
        defer { workspaces.withLock { $0.append(workspace) } }
        return ConvolutionWorkspace.$current.withValue(workspace) { compute(body) }
    }

    private func compute<R>(_ body: () -> R) -> R {
        withoutGradients {
            guard let precision, precision != .fp32 else { return body() }
            return Autocast.run(precision, body)
        }
    }
}
