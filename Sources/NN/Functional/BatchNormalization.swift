import Kernels
import Tensors

/// Batch normalisation over the channel axis of (N, C, ...) tensors of either memory format,
/// optionally fused with the ReLU that follows it in every backbone of the paper.
///
/// Training mode normalises with the batch statistics (biased variance) and returns them so the
/// caller can update its running estimates; evaluation mode uses the given running statistics.
/// The backward pass takes one pass for the two per-channel sums and one for
/// dx = a·g + b·x + c, with the ReLU mask applied on the fly.
public enum BatchNormalization {
    public struct Statistics {
        public let mean: [Float]
        /// Biased (population) variance of the batch.
        public let variance: [Float]
        /// Elements per channel the statistics were taken over.
        public let count: Int
    }

    /// The per-channel mean and biased variance of `x` over every axis but the channel axis (and,
    /// with synchronised statistics, over every replica's batch).
    public static func statistics(of x: Tensor) -> Statistics {
        let layout = ChannelLayout(x, op: "batchNorm")
        let input = x.storage.pointer
        // With synchronised statistics the sums, and the count after them, cover every replica.
        // Double until the division: float32 rounds once, the same for every split of the batch.
        let replicas = BatchStatisticsReduction.current
        var sums = layout.sums(input, input, input, PlainSum()).0
        sums.append(Double(layout.perChannel))
        replicas?(&sums)
        let count = sums.removeLast()
        let mean = sums.map { Float($0 / count) }
        var squares = mean.withUnsafeBufferPointer { m in
            layout.sums(input, input, input, CenteredSquares(layout: layout, mean: m.baseAddress!)).0
        }
        replicas?(&squares)
        return Statistics(mean: mean, variance: squares.map { Float($0 / count) }, count: Int(count))
    }

    public static func training(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float, fusedReLU: Bool) -> (Tensor, Statistics) {
        let layout = ChannelLayout(x, op: "batchNorm")
        check(layout, weight, bias)
        let statistics = statistics(of: x)
        let mean = statistics.mean
        let inverseDeviation = statistics.variance.map { 1 / ($0 + epsilon).squareRoot() }
        let output = normalize(x, layout: layout, weight: weight, bias: bias, mean: mean, inverseDeviation: inverseDeviation, relu: fusedReLU)
        // Only the ReLU's mask needs the output: without it the backward pass must not keep it alive.
        let mask = fusedReLU ? output : nil
        let count = Float(statistics.count)
        let replicas = BatchStatisticsReduction.current
        let result = Tensor.differentiable("batchNorm", inputs: [x, weight, bias], output: output) { g, needs in
            backward(g, x: x, y: mask, layout: layout, weight: weight, mean: mean, inverseDeviation: inverseDeviation,
                     relu: fusedReLU, batchStatistics: true, count: count, replicas: replicas, needs: needs)
        }
        return (result, statistics)
    }

    public static func evaluation(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                  epsilon: Float, fusedReLU: Bool) -> Tensor {
        let layout = ChannelLayout(x, op: "batchNorm")
        check(layout, weight, bias)
        let mean = runningMean.scalars
        let inverseDeviation = runningVariance.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        let output = normalize(x, layout: layout, weight: weight, bias: bias, mean: mean, inverseDeviation: inverseDeviation, relu: fusedReLU)
        let mask = fusedReLU ? output : nil
        return .differentiable("batchNorm", inputs: [x, weight, bias], output: output) { g, needs in
            backward(g, x: x, y: mask, layout: layout, weight: weight, mean: mean, inverseDeviation: inverseDeviation,
                     relu: fusedReLU, batchStatistics: false, count: Float(layout.perChannel), replicas: nil, needs: needs)
        }
    }

    private static func check(_ layout: ChannelLayout, _ weight: Tensor, _ bias: Tensor) {
        precondition(weight.shape == [layout.channels] && bias.shape == [layout.channels],
                     "batchNorm: weight \(Shape.describe(weight.shape)) and bias \(Shape.describe(bias.shape)) must be [\(layout.channels)]")
    }

    /// y = x·scale + shift per channel, then max(y, 0) when fused with ReLU.
    private static func normalize(_ x: Tensor, layout: ChannelLayout, weight: Tensor, bias: Tensor, mean: [Float],
                                  inverseDeviation: [Float], relu: Bool) -> Tensor {
        let gamma = weight.scalars, beta = bias.scalars
        let scale = (0..<layout.channels).map { gamma[$0] * inverseDeviation[$0] }
        let shift = (0..<layout.channels).map { beta[$0] - mean[$0] * scale[$0] }
        let output = Tensor(uninitializedShape: x.shape, format: x.format)
        let input = x.storage.pointer
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { t in
                layout.map(input, input, input, into: output.storage.pointer,
                           Affine(layout: layout, scale: s.baseAddress!, shift: t.baseAddress!, floor: relu ? 0 : -.infinity))
            }
        }
        return output
    }

    /// `y` is the output, needed (and given) only for the fused ReLU's mask.
    private static func backward(_ gradient: Tensor, x: Tensor, y: Tensor?, layout: ChannelLayout, weight: Tensor,
                                 mean: [Float], inverseDeviation: [Float], relu: Bool, batchStatistics: Bool,
                                 count: Float, replicas: BatchStatisticsReduction.ReplicaSum?, needs: [Bool]) -> [Tensor?] {
        let gp = gradient.storage.pointer, xp = x.storage.pointer
        // Without the ReLU the kernels never read their second operand.
        let yp = y?.storage.pointer ?? gp
        let (localSumG, localSumGCentered) = mean.withUnsafeBufferPointer { m in
            layout.sums(gp, yp, xp, GradientSums(layout: layout, mean: m.baseAddress!, relu: relu))
        }
        // The input gradient needs the sums over the whole batch; the weight and bias gradients
        // stay this replica's share (they are reduced with the other parameter gradients).
        var both = localSumG + localSumGCentered
        replicas?(&both)
        let sumG = both[..<layout.channels].map { Float($0) }, sumGCentered = both[layout.channels...].map { Float($0) }
        let gamma = weight.scalars
        var gradientInput: Tensor?
        if needs[0] {
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
                layout.map(gp, yp, xp, into: result.storage.pointer,
                           GradientInput(layout: layout, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!, relu: relu))
            } } }
            gradientInput = result
        }
        let gradientWeight = needs[1] ? Tensor(zip(localSumGCentered, inverseDeviation).map { Float($0) * $1 }, shape: [layout.channels]) : nil
        let gradientBias = needs[2] ? Tensor(localSumG.map { Float($0) }, shape: [layout.channels]) : nil
        return [gradientInput, gradientWeight, gradientBias]
    }

    // MARK: Kernels

    private struct PlainSum: ChannelPairKernel {
        @inline(__always)
        func callAsFunction(_ x: FloatVector, _ b: FloatVector, _ c: FloatVector, channel: Int) -> (FloatVector, FloatVector) {
            (x, FloatVector())
        }
    }

    private struct CenteredSquares: ChannelPairKernel {
        let layout: ChannelLayout
        let mean: UnsafePointer<Float>
        @inline(__always)
        func callAsFunction(_ x: FloatVector, _ b: FloatVector, _ c: FloatVector, channel: Int) -> (FloatVector, FloatVector) {
            let d = x - layout.vector(mean, at: channel)
            return (d * d, FloatVector())
        }
    }

    private struct Affine: ChannelKernel {
        let layout: ChannelLayout
        let scale, shift: UnsafePointer<Float>
        let floor: Float
        @inline(__always)
        func callAsFunction(_ x: FloatVector, _ b: FloatVector, _ c: FloatVector, channel: Int) -> FloatVector {
            VectorMath.maximum(VectorLoops.multiplyAdd(layout.vector(shift, at: channel), x, layout.vector(scale, at: channel)), FloatVector(repeating: floor))
        }
    }

    /// (Σ g', Σ g'·(x − mean)) with g' the gradient masked by the ReLU output when fused.
    private struct GradientSums: ChannelPairKernel {
        let layout: ChannelLayout
        let mean: UnsafePointer<Float>
        let relu: Bool
        @inline(__always)
        func callAsFunction(_ g: FloatVector, _ y: FloatVector, _ x: FloatVector, channel: Int) -> (FloatVector, FloatVector) {
            let masked = relu ? g.replacing(with: 0, where: y .<= 0) : g
            return (masked, masked * (x - layout.vector(mean, at: channel)))
        }
    }

    private struct GradientInput: ChannelKernel {
        let layout: ChannelLayout
        let a, b, c: UnsafePointer<Float>
        let relu: Bool
        @inline(__always)
        func callAsFunction(_ g: FloatVector, _ y: FloatVector, _ x: FloatVector, channel: Int) -> FloatVector {
            let masked = relu ? g.replacing(with: 0, where: y .<= 0) : g
            return VectorLoops.multiplyAdd(masked * layout.vector(a, at: channel), x, layout.vector(b, at: channel)) + layout.vector(c, at: channel)
        }
    }
}
