import ModelGraph
import Tensors

/// One pass of an `InferencePlan`: what it computes, the value ids it reads and the one it writes.
struct InferenceStep {
    enum Kind {
        /// A convolution with its folded norms and fused epilogue; `residual` (a value id) is
        /// added before the epilogue's ReLU.
        case convolution(FoldedConvolution, residual: Int?)
        /// BN(-ReLU) into a convolution's input; the step's inputs are the normalised channel blocks.
        case preActivatedConvolution(PreActivatedConvolution)
        case normalization(FrozenBatchNorm)
        /// A node that reads no weights, run as the graph op itself.
        case weightFree(GraphOperation)
    }

    let kind: Kind
    let inputs: [Int]
    let output: Int
    /// The graph nodes this step carries out, for descriptions and tests.
    let nodes: [Int]

    /// Every value id the step reads, the residual included.
    var reads: [Int] {
        if case .convolution(_, let residual?) = kind { return inputs + [residual] }
        return inputs
    }
}
