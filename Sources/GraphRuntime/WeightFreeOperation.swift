import ModelGraph
import Tensors

extension GraphOperation {
    /// The op applied to `x` when it reads no weights (ReLU, sums, pooling, padding, reshaping),
    /// nil for the others: one definition for the interpreter and the inference plan.
    func applyWithoutWeights(_ x: [Tensor]) -> Tensor? {
        switch self {
        case .relu: x[0].relu()
        case .add: x[0] + x[1]
        case .concatenateChannels: .concatenatedChannels(x)
        case .averagePool(let p): x[0].averagePooled2D(kernel: p.kernel, stride: p.stride, padding: p.padding)
        case .maxPool(let p): x[0].maxPooled2D(kernel: p.kernel, stride: p.stride, padding: p.padding)
        case .globalAveragePool: x[0].globalAveragePooled()
        case .zeroPadChannels(let channels): x[0].zeroPaddedChannels(to: channels)
        case .flatten: x[0].contiguous().flattened()
        case .convolution, .batchNorm, .linear, .multiProxy, .multiFCAverage, .bilinearPooling, .attentionPooling: nil
        }
    }
}
