import Kernels
import Tensors

/// A per-channel computation on up to three same-layout operands, one vector at a time. Kernels
/// are structs rather than closures so that the loops below are specialised for each of them and
/// the kernel inlines into the vector loop (a closure would cost an indirect call per vector).
protocol ChannelKernel {
    /// `channel` is the first channel of the vector when lanes run over channels (channels-last)
    /// and the vector's single channel otherwise; `ChannelLayout.vector(_:at:)` reads
    /// per-channel parameters accordingly.
    func callAsFunction(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector, channel: Int) -> FloatVector
}

/// Like `ChannelKernel`, producing two values to accumulate at once (one pass, two sums).
protocol ChannelPairKernel {
    func callAsFunction(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector, channel: Int) -> (FloatVector, FloatVector)
}

/// A tensor seen as (outer, channels, inner) for per-channel work: (N·H·W, C, 1) for
/// channels-last images, (N, C, H·W) for contiguous ones, (N, C, 1) for feature vectors.
struct ChannelLayout {
    let outer: Int
    let channels: Int
    let inner: Int
    /// The batch size: channels-last rows are summed in runs aligned to its samples.
    let samples: Int

    init(_ tensor: Tensor, op: String) {
        precondition(tensor.rank >= 2, "\(op): needs (N, C, ...) input, got \(Shape.describe(tensor.shape))")
        channels = tensor.shape[1]
        samples = tensor.shape[0]
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

    /// A per-channel parameter as the vector that meets data at `channel`.
    @inline(__always)
    func vector(_ values: UnsafePointer<Float>, at channel: Int) -> FloatVector {
        if inner != 1 { return FloatVector(repeating: values[channel]) }
        let lanes = min(FloatVector.scalarCount, channels - channel)
        return lanes == FloatVector.scalarCount ? VectorLoops.load(values + channel) : VectorLoops.loadPartial(values + channel, lanes)
    }

    /// Visits every vector of the tensor as (offset, lanes, channel) within one thread's share:
    /// rows of channel blocks for channels-last, runs along a plane otherwise.
    @inline(__always)
    private func forEachVector(rows: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        let width = FloatVector.scalarCount
        if inner == 1 {
            for row in rows {
                var block = 0
                while block < channels {
                    body(row * channels + block, min(width, channels - block), block)
                    block += width
                }
            }
        } else {
            for plane in rows {
                let channel = plane % channels
                var i = 0
                while i < inner {
                    body(plane * inner + i, min(width, inner - i), channel)
                    i += width
                }
            }
        }
    }

    /// Units of parallel work: rows (channels-last) or (n, c) planes.
    private var units: Int { inner == 1 ? outer : outer * channels }
    private var unitLength: Int { inner == 1 ? channels : inner }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>, _ lanes: Int) -> FloatVector {
        lanes == FloatVector.scalarCount ? VectorLoops.load(pointer) : VectorLoops.loadPartial(pointer, lanes)
    }

    /// out = kernel(a, b, c) elementwise.
    func map<K: ChannelKernel>(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, _ kernel: K) {
        Parallel.forRanges(units, minimumChunk: max(1, VectorLoops.parallelThreshold / max(1, unitLength))) { rows in
            forEachVector(rows: rows) { offset, lanes, channel in
                let value = kernel(Self.load(a + offset, lanes), Self.load(b + offset, lanes), Self.load(c + offset, lanes), channel: channel)
                if lanes == FloatVector.scalarCount { VectorLoops.store(value, out + offset) } else { VectorLoops.storePartial(value, out + offset, lanes) }
            }
        }
    }

    /// Per-channel sums of both outputs of `kernel(a, b, c)`, in double. Channels-last rows are
    /// summed in float32 runs aligned to the samples (`SampleAlignedRuns`), planes one by one;
    /// each thread adds whole runs or planes into its own double slots, combined in a fixed order.
    /// The totals are the same, up to double rounding, for every thread count and every split of
    /// the batch over replicas.
    func sums<K: ChannelPairKernel>(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                                    _ kernel: K) -> ([Double], [Double]) {
        let parts = max(1, min(Threads.count, units * unitLength / VectorLoops.parallelThreshold))
        let channels = channels, inner = inner
        let runs = SampleAlignedRuns(rows: outer, samples: samples)
        // Per part: first sums then second sums; channels-last accumulates lane-wise per block.
        var partials = [Double](repeating: 0, count: parts * 2 * channels)
        partials.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.run(parts: parts) { part in
                let first = base + part * 2 * channels, second = first + channels
                if inner == 1 {
                    // A channel's sum runs over every pixel of the batch (65,536 at 64x32x32): in
                    // float32 alone its rounding error would grow with that count, so short float
                    // runs are added into double accumulators.
                    var block = 0
                    while block < channels {
                        let lanes = min(FloatVector.scalarCount, channels - block)
                        var t0 = SIMD16<Double>(), t1 = SIMD16<Double>()
                        for run in runs.runs(part: part, of: parts) {
                            var s0 = FloatVector(), s1 = FloatVector()
                            for row in runs.rows(run) {
                                let offset = row * channels + block
                                let (x, y) = kernel(Self.load(a + offset, lanes), Self.load(b + offset, lanes), Self.load(c + offset, lanes), channel: block)
                                s0 += x
                                s1 += y
                            }
                            t0 += SIMD16<Double>(s0)
                            t1 += SIMD16<Double>(s1)
                        }
                        for lane in 0..<lanes {
                            first[block + lane] = t0[lane]
                            second[block + lane] = t1[lane]
                        }
                        block += FloatVector.scalarCount
                    }
                } else {
                    for plane in (units * part / parts)..<(units * (part + 1) / parts) {
                        let channel = plane % channels
                        var s0 = FloatVector(), s1 = FloatVector()
                        var i = 0
                        while i < inner {
                            let lanes = min(FloatVector.scalarCount, inner - i)
                            var (x, y) = kernel(Self.load(a + plane * inner + i, lanes), Self.load(b + plane * inner + i, lanes),
                                                Self.load(c + plane * inner + i, lanes), channel: channel)
                            if lanes < FloatVector.scalarCount {
                                for lane in lanes..<FloatVector.scalarCount { x[lane] = 0; y[lane] = 0 }
                            }
                            s0 += x
                            s1 += y
                            i += FloatVector.scalarCount
                        }
                        first[channel] += Double(VectorMath.sum(s0))
                        second[channel] += Double(VectorMath.sum(s1))
                    }
                }
            }
        }
        return Self.combine(partials, parts: parts, channels: channels)
    }

    /// Rows (or pixels) summed in float32 before their sum joins the double accumulator.
    static let floatRun = 64

    /// The per-channel totals of per-part double sums laid out as `parts` blocks of
    /// (first sums, second sums), each `channels` long.
    static func combine(_ partials: [Double], parts: Int, channels: Int) -> (first: [Double], second: [Double]) {
        var first = [Double](repeating: 0, count: channels), second = first
        for part in 0..<parts {
            for channel in 0..<channels {
                first[channel] += partials[part * 2 * channels + channel]
                second[channel] += partials[part * 2 * channels + channels + channel]
            }
        }
        return (first, second)
    }
}
