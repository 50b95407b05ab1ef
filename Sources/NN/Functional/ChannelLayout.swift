import Kernels
import Tensors

/// A tensor seen as (outer, channels, inner) for per-channel work: (N·H·W, C, 1) for
/// channels-last images, (N, C, H·W) for contiguous ones, (N, C, 1) for feature vectors.
struct ChannelLayout {
    let outer: Int
    let channels: Int
    let inner: Int

    init(_ tensor: Tensor, op: String) {
        precondition(tensor.rank >= 2, "\(op): needs (N, C, ...) input, got \(Shape.describe(tensor.shape))")
        channels = tensor.shape[1]
        if tensor.format == .channelsLast {
            outer = tensor.count / max(channels, 1)
            inner = 1
        } else {
            outer = tensor.shape[0]
            inner = tensor.shape.dropFirst(2).reduce(1, *)
        }
    }

    /// Elements per channel.
    var perChannel: Int { outer * inner }

    /// Per-channel sums of f(x, y, channel) over a tensor (and an optional second one of the
    /// same layout), vectorised across channels or across the inner extent. The partial sums of
    /// each thread are combined in a fixed order, so results depend only on the thread count.
    func channelSums(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?,
                     _ f: (FloatVector, FloatVector, Int) -> FloatVector) -> [Float] {
        let width = FloatVector.scalarCount
        let channels = channels, inner = inner, outer = outer
        if inner == 1 {
            let parts = max(1, min(Threads.count, outer * channels / VectorLoops.parallelThreshold))
            var partials = [Float](repeating: 0, count: parts * channels)
            partials.withUnsafeMutableBufferPointer { partial in
                let base = partial.baseAddress!
                withoutActuallyEscaping(f) { f in
                    Parallel.run(parts: parts) { part in
                        let rows = (outer * part / parts)..<(outer * (part + 1) / parts)
                        let out = base + part * channels
                        var block = 0
                        while block < channels {
                            let lanes = min(width, channels - block)
                            var total = FloatVector()
                            for row in rows {
                                let offset = row * channels + block
                                let a = lanes == width ? VectorLoops.load(x + offset) : VectorLoops.loadPartial(x + offset, lanes)
                                let b = y.map { lanes == width ? VectorLoops.load($0 + offset) : VectorLoops.loadPartial($0 + offset, lanes) } ?? a
                                var value = f(a, b, block)
                                if lanes < width { for lane in lanes..<width { value[lane] = 0 } }
                                total += value
                            }
                            VectorLoops.storePartial(total, out + block, lanes)
                            block += width
                        }
                    }
                }
            }
            var sums = [Float](repeating: 0, count: channels)
            for part in 0..<parts { for c in 0..<channels { sums[c] += partials[part * channels + c] } }
            return sums
        }
        var sums = [Float](repeating: 0, count: channels)
        sums.withUnsafeMutableBufferPointer { result in
            let out = result.baseAddress!
            withoutActuallyEscaping(f) { f in
                Parallel.forRanges(channels, minimumChunk: max(1, VectorLoops.parallelThreshold / max(1, perChannel))) { range in
                    for c in range {
                        var total = FloatVector()
                        for n in 0..<outer {
                            let plane = (n * channels + c) * inner
                            var i = 0
                            while i < inner {
                                let lanes = min(width, inner - i)
                                let a = lanes == width ? VectorLoops.load(x + plane + i) : VectorLoops.loadPartial(x + plane + i, lanes)
                                let b = y.map { lanes == width ? VectorLoops.load($0 + plane + i) : VectorLoops.loadPartial($0 + plane + i, lanes) } ?? a
                                var value = f(a, b, c)
                                if lanes < width { for lane in lanes..<width { value[lane] = 0 } }
                                total += value
                                i += width
                            }
                        }
                        out[c] = total.sum()
                    }
                }
            }
        }
        return sums
    }

    /// out = f(x, y, channel) elementwise, where the channel argument is the first channel of
    /// the vector when inner == 1 (lanes run over channels) and the channel itself otherwise.
    func channelMap(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
                    _ f: (FloatVector, FloatVector, Int) -> FloatVector) {
        let width = FloatVector.scalarCount
        let channels = channels, inner = inner
        withoutActuallyEscaping(f) { f in
            if inner == 1 {
                Parallel.forRanges(outer, minimumChunk: max(1, VectorLoops.parallelThreshold / max(1, channels))) { rows in
                    for row in rows {
                        var block = 0
                        while block < channels {
                            let offset = row * channels + block
                            let lanes = min(width, channels - block)
                            if lanes == width {
                                let b = y.map { VectorLoops.load($0 + offset) } ?? FloatVector()
                                VectorLoops.store(f(VectorLoops.load(x + offset), b, block), out + offset)
                            } else {
                                let b = y.map { VectorLoops.loadPartial($0 + offset, lanes) } ?? FloatVector()
                                VectorLoops.storePartial(f(VectorLoops.loadPartial(x + offset, lanes), b, block), out + offset, lanes)
                            }
                            block += width
                        }
                    }
                }
            } else {
                Parallel.forRanges(outer * channels, minimumChunk: max(1, VectorLoops.parallelThreshold / max(1, inner))) { planes in
                    for planeIndex in planes {
                        let c = planeIndex % channels
                        let plane = planeIndex * inner
                        var i = 0
                        while i < inner {
                            let lanes = min(width, inner - i)
                            if lanes == width {
                                let b = y.map { VectorLoops.load($0 + plane + i) } ?? FloatVector()
                                VectorLoops.store(f(VectorLoops.load(x + plane + i), b, c), out + plane + i)
                            } else {
                                let b = y.map { VectorLoops.loadPartial($0 + plane + i, lanes) } ?? FloatVector()
                                VectorLoops.storePartial(f(VectorLoops.loadPartial(x + plane + i, lanes), b, c), out + plane + i, lanes)
                            }
                            i += width
                        }
                    }
                }
            }
        }
    }

    /// A per-channel parameter as the vector the kernels combine with data at `channel`: the
    /// channels block starting there (inner == 1) or that channel's value in every lane.
    @inline(__always)
    func vector(_ values: UnsafePointer<Float>, at channel: Int) -> FloatVector {
        if inner != 1 { return FloatVector(repeating: values[channel]) }
        let lanes = min(FloatVector.scalarCount, channels - channel)
        return lanes == FloatVector.scalarCount ? VectorLoops.load(values + channel) : VectorLoops.loadPartial(values + channel, lanes)
    }
}
