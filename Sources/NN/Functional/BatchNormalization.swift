import Kernels
import Tensors

/// Batch normalisation over the channel axis of (N, C, ...) tensors of either memory format,
/// optionally fused with the ReLU that follows it in every backbone of the paper.
///
/// Training mode normalises with the batch statistics (biased variance) and returns them so the
/// caller can update its running estimates; evaluation mode uses the given running statistics.
/// The backward pass is one fused expression per channel: dx = a·g + b·x + c.
public enum BatchNormalization {
    public struct Statistics {
        public let mean: [Float]
        /// Biased (population) variance of the batch.
        public let variance: [Float]
        /// Elements per channel the statistics were taken over.
        public let count: Int
    }

    public static func training(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, fusedReLU: Bool) -> (Tensor, Statistics) {
        let layout = ChannelLayout(x, op: "batchNorm")
        precondition(weight.shape == [layout.channels] && bias.shape == [layout.channels],
                     "batchNorm: weight \(Shape.describe(weight.shape)) and bias \(Shape.describe(bias.shape)) must be [\(layout.channels)]")
        let count = Float(layout.perChannel)
        let input = x.storage.pointer
        let mean = layout.channelSums(input, nil) { v, _, _ in v }.map { $0 / count }
        let variance = mean.withUnsafeBufferPointer { m in
            layout.channelSums(input, nil) { v, _, c in
                let d = v - layout.vector(m.baseAddress!, at: c)
                return d * d
            }
        }.map { $0 / count }
        let inverseDeviation = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let output = normalize(x, layout: layout, weight: weight, bias: bias, mean: mean, inverseDeviation: inverseDeviation, relu: fusedReLU)
        let statistics = Statistics(mean: mean, variance: variance, count: layout.perChannel)
        let result = Tensor.differentiable("batchNorm", inputs: [x, weight, bias], output: output) { g, needs in
            backward(g, x: x, y: output, layout: layout, weight: weight, mean: mean, inverseDeviation: inverseDeviation,
                     relu: fusedReLU, batchStatistics: true, needs: needs)
        }
        return (result, statistics)
    }

    public static func evaluation(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                  epsilon: Float, fusedReLU: Bool) -> Tensor {
        let layout = ChannelLayout(x, op: "batchNorm")
        let mean = runningMean.scalars
        let inverseDeviation = runningVariance.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        let output = normalize(x, layout: layout, weight: weight, bias: bias, mean: mean, inverseDeviation: inverseDeviation, relu: fusedReLU)
        return .differentiable("batchNorm", inputs: [x, weight, bias], output: output) { g, needs in
            backward(g, x: x, y: output, layout: layout, weight: weight, mean: mean, inverseDeviation: inverseDeviation,
                     relu: fusedReLU, batchStatistics: false, needs: needs)
        }
    }

    /// y = x·scale + shift per channel, then max(y, 0) when fused with ReLU.
    private static func normalize(_ x: Tensor, layout: ChannelLayout, weight: Tensor, bias: Tensor, mean: [Float],
                                  inverseDeviation: [Float], relu: Bool) -> Tensor {
        let gamma = weight.scalars, beta = bias.scalars
        let scale = (0..<layout.channels).map { gamma[$0] * inverseDeviation[$0] }
        let shift = (0..<layout.channels).map { beta[$0] - mean[$0] * scale[$0] }
        let output = Tensor(uninitializedShape: x.shape, format: x.format)
        let floor = FloatVector(repeating: relu ? 0 : -.infinity)
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { t in
                layout.channelMap(x.storage.pointer, nil, output.storage.pointer) { v, _, c in
                    pointwiseMax(v * layout.vector(s.baseAddress!, at: c) + layout.vector(t.baseAddress!, at: c), floor)
                }
            }
        }
        return output
    }

    private static func backward(_ gradient: Tensor, x: Tensor, y: Tensor, layout: ChannelLayout, weight: Tensor,
                                 mean: [Float], inverseDeviation: [Float], relu: Bool, batchStatistics: Bool,
                                 needs: [Bool]) -> [Tensor?] {
        var g = gradient
        if relu {
            g = gradient.zipped(y) { g, y in g.replacing(with: 0, where: y .<= 0) }
        }
        let gp = g.storage.pointer, xp = x.storage.pointer
        let sumG = layout.channelSums(gp, nil) { v, _, _ in v }
        let sumGCentered = mean.withUnsafeBufferPointer { m in
            layout.channelSums(gp, xp) { g, x, c in g * (x - layout.vector(m.baseAddress!, at: c)) }
        }
        let gamma = weight.scalars
        var gradientInput: Tensor?
        if needs[0] {
            let count = Float(layout.perChannel)
            var a = [Float](repeating: 0, count: layout.channels), b = a, c = a
            for channel in 0..<layout.channels {
                let scale = gamma[channel] * inverseDeviation[channel]
                a[channel] = scale
                if batchStatistics {
                    let slope = scale * inverseDeviation[channel] * inverseDeviation[channel] * sumGCentered[channel] / count
                    b[channel] = -slope
                    c[channel] = -scale * sumG[channel] / count + mean[channel] * slope
                }
            }
            let result = Tensor(uninitializedShape: x.shape, format: x.format)
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeBufferPointer { c in
                layout.channelMap(gp, xp, result.storage.pointer) { g, x, channel in
                    (g * layout.vector(a.baseAddress!, at: channel)).addingProduct(x, layout.vector(b.baseAddress!, at: channel))
                        + layout.vector(c.baseAddress!, at: channel)
                }
            } } }
            gradientInput = result
        }
        let gradientWeight = needs[1] ? Tensor(zip(sumGCentered, inverseDeviation).map(*), shape: [layout.channels]) : nil
        let gradientBias = needs[2] ? Tensor(sumG, shape: [layout.channels]) : nil
        return [gradientInput, gradientWeight, gradientBias]
    }
}
