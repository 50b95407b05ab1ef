import Kernels
import Tensors

/// One slice of a dense block's running concatenation: a channels-last (N, k, H, W) tensor (a
/// layer's new channels, or the block's input) with its channels' batch statistics when taken
/// in training mode.
///
/// A block keeps its slices apart instead of copying them into ever-wider concatenations: the
/// layers read them in place (the shared-storage concatenation of memory-efficient DenseNet).
/// Batch statistics are per channel, so a slice's are the same for every later layer and are
/// taken once, when the slice is made.
public struct FeatureSlice {
    public let tensor: Tensor
    public let statistics: BatchNormalization.Statistics?

    public init(_ tensor: Tensor, batchStatistics: Bool) {
        precondition(tensor.rank == 4, "FeatureSlice: needs an (N, C, H, W) tensor, got \(Shape.describe(tensor.shape))")
        self.tensor = tensor.converted(to: .channelsLast)
        statistics = batchStatistics ? BatchNormalization.statistics(of: self.tensor) : nil
    }

    public var channels: Int { tensor.shape[1] }
}

/// conv(ReLU(BN(concatenation of slices))), DenseNet's BN-ReLU-conv, without keeping the
/// concatenation or the BN-ReLU output alive (Pleiss et al., "Memory-efficient implementation of
/// DenseNets", 2017): the forward pass normalises the slices straight into a scratch buffer that
/// the convolution reads, and the backward pass recomputes that buffer (one cheap elementwise
/// pass) instead of saving it. Only the slices themselves stay alive for the backward pass, so
/// a block's activations grow linearly with its depth instead of quadratically.
///
/// The results equal `conv2d(batchNorm(concatenatedChannels(slices), fusedReLU: fusedReLU))`.
/// PyramidNet's blocks use it with one slice and no ReLU for their first BN-conv.
public enum DenseConvolution {
    /// Training mode: normalises with the slices' batch statistics, which it also returns (for
    /// the BN layer's running estimates).
    public static func training(_ slices: [FeatureSlice], weight: Tensor, bias: Tensor, epsilon: Float, fusedReLU: Bool,
                                filters: Tensor, stride: Int, padding: Int) -> (Tensor, BatchNormalization.Statistics) {
        let statistics = slices.map { slice in
            guard let statistics = slice.statistics else {
                preconditionFailure("DenseConvolution.training: every slice needs batch statistics (FeatureSlice(_:batchStatistics: true))")
            }
            return statistics
        }
        let joined = BatchNormalization.Statistics(mean: statistics.flatMap(\.mean), variance: statistics.flatMap(\.variance),
                                                   count: statistics[0].count)
        let inverseDeviation = joined.variance.map { 1 / ($0 + epsilon).squareRoot() }
        let output = run(slices.map(\.tensor), weight: weight, bias: bias, mean: joined.mean, inverseDeviation: inverseDeviation,
                         batchStatistics: true, count: Float(joined.count),
                         replicas: BatchStatisticsReduction.current,
                         relu: fusedReLU, filters: filters, stride: stride, padding: padding)
        return (output, joined)
    }

    /// Evaluation mode: normalises with the given running statistics.
    public static func evaluation(_ slices: [FeatureSlice], weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                  epsilon: Float, fusedReLU: Bool, filters: Tensor, stride: Int, padding: Int) -> Tensor {
        run(slices.map(\.tensor), weight: weight, bias: bias, mean: runningMean.scalars,
            inverseDeviation: runningVariance.scalars.map { 1 / ($0 + epsilon).squareRoot() },
            batchStatistics: false, count: 1, replicas: nil, relu: fusedReLU, filters: filters, stride: stride, padding: padding)
    }

    private static func run(_ tensors: [Tensor], weight: Tensor, bias: Tensor, mean: [Float], inverseDeviation: [Float],
                            batchStatistics: Bool, count: Float, replicas: BatchStatisticsReduction.ReplicaSum?, relu: Bool, filters: Tensor, stride: Int,
                            padding: Int) -> Tensor {
        let slices = SliceLayout(tensors)
        let channels = slices.channels
        precondition(weight.shape == [channels] && bias.shape == [channels] && mean.count == channels,
                     "DenseConvolution: weight \(Shape.describe(weight.shape)) and bias \(Shape.describe(bias.shape)) must be [\(channels)]")
        precondition(filters.rank == 4 && filters.shape[1] == channels,
                     "DenseConvolution: filters \(Shape.describe(filters.shape)) do not take \(channels) channels")
        let first = tensors[0]
        let geometry = ConvolutionGeometry(
            batch: first.shape[0], inputChannels: channels, outputChannels: filters.shape[0], inputHeight: first.shape[2],
            inputWidth: first.shape[3], kernelHeight: filters.shape[2], kernelWidth: filters.shape[3],
            strideHeight: stride, strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
        precondition(stride >= 1 && padding >= 0, "DenseConvolution: stride \(stride) and padding \(padding) are invalid")
        precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                     "DenseConvolution: kernel \(filters.shape[2])x\(filters.shape[3]) does not fit \(Shape.describe(first.shape)) with padding \(padding)")
        let gamma = weight.scalars, beta = bias.scalars
        let scale = (0..<channels).map { gamma[$0] * inverseDeviation[$0] }
        let shift = (0..<channels).map { beta[$0] - mean[$0] * scale[$0] }
        let kernels = filters.contiguous()
        let output = Tensor(uninitializedShape: [geometry.batch, geometry.outputChannels, geometry.outputHeight, geometry.outputWidth],
                            format: .channelsLast)
        do {
            let normalized = Scratch(slices)
            slices.normalize(into: normalized.pointer, scale: scale, shift: shift, relu: relu)
            Convolution.forward(geometry, source: normalized.pointer, weights: kernels.storage.pointer, bias: nil,
                                destination: output.storage.pointer)
        }
        MultiplyAccumulateCounter.record(geometry.outputCount / geometry.outputChannels * geometry.weightCount)
        return .differentiable("denseConvolution", inputs: tensors + [weight, bias, filters], output: output) { gradient, needs in
            let g = gradient.converted(to: .channelsLast)
            let normalized = Scratch(slices), upstream = Scratch(slices)
            slices.normalize(into: normalized.pointer, scale: scale, shift: shift, relu: relu)
            Convolution.backwardData(geometry, gradientDestination: g.storage.pointer, weights: kernels.storage.pointer,
                                     gradientSource: upstream.pointer)
            var gradientFilters: Tensor?
            if needs[tensors.count + 2] {
                let result = Tensor(uninitializedShape: filters.shape)
                Convolution.backwardWeights(geometry, source: normalized.pointer, gradientDestination: g.storage.pointer,
                                            gradientWeights: result.storage.pointer, gradientBias: nil)
                gradientFilters = result
            }
            let (localSumG, localSumGCentered) = slices.gradientSums(upstream.pointer, normalized.pointer, mean: mean, relu: relu)
            // With synchronised statistics the input gradient needs the sums over every replica's
            // batch; gamma's and beta's gradients stay this replica's share, as in BatchNormalization.
            var both = localSumG + localSumGCentered
            replicas?(&both)
            let sumG = both[..<channels].map { Float($0) }, sumGCentered = both[channels...].map { Float($0) }
            // dx = a·g' + b·x + c per channel, g' the gradient masked by the ReLU (as BatchNormalization's backward).
            var b = [Float](repeating: 0, count: channels), c = b
            if batchStatistics {
                for channel in 0..<channels {
                    let slope = scale[channel] * inverseDeviation[channel] * inverseDeviation[channel] * sumGCentered[channel] / count
                    b[channel] = -slope
                    c[channel] = -scale[channel] * sumG[channel] / count + mean[channel] * slope
                }
            }
            // `tensors` keeps the slices alive: `slices` only points into them.
            let sliceGradients = slices.gradients(upstream.pointer, normalized.pointer, a: scale, b: b, c: c, relu: relu,
                                                  needs: Array(needs[..<tensors.count]))
            return sliceGradients
                + [needs[tensors.count] ? Tensor(zip(localSumGCentered, inverseDeviation).map { Float($0) * $1 }, shape: [channels]) : nil,
                   needs[tensors.count + 1] ? Tensor(localSumG.map { Float($0) }, shape: [channels]) : nil,
                   gradientFilters]
        }
    }
}

/// A temporary (N, C, H, W) channels-last buffer of a block's width. Its size is rounded up to
/// whole multiples of 64 channels so that the layers of a block, whose widths grow by a few
/// channels each, reuse the same cached blocks instead of leaving one of every size behind.
private final class Scratch {
    let pointer: UnsafeMutablePointer<Float>
    private let count: Int

    init(_ slices: SliceLayout) {
        count = slices.pixels * ((slices.channels + 63) / 64 * 64)
        pointer = AlignedMemory.allocate(count: count)
    }

    deinit { AlignedMemory.release(pointer, count: count) }
}

/// The slices of a concatenation, pixel by pixel: slice j holds channels offsets[j] ..<
/// offsets[j] + widths[j] of every pixel.
private struct SliceLayout {
    let pointers: [UnsafeMutablePointer<Float>]
    let widths: [Int]
    let offsets: [Int]
    let channels: Int
    let pixels: Int
    let samples: Int
    /// The slices' shapes, for their gradients.
    let shapes: [[Int]]

    init(_ tensors: [Tensor]) {
        precondition(!tensors.isEmpty, "DenseConvolution: needs at least one slice")
        let first = tensors[0]
        for tensor in tensors {
            precondition(tensor.rank == 4 && tensor.format == .channelsLast && tensor.shape[0] == first.shape[0]
                         && tensor.shape[2...] == first.shape[2...],
                         "DenseConvolution: slice \(Shape.describe(tensor.shape)) does not match \(Shape.describe(first.shape)) off the channel axis")
        }
        pointers = tensors.map(\.storage.pointer)
        widths = tensors.map { $0.shape[1] }
        var offsets: [Int] = [], total = 0
        for width in widths { offsets.append(total); total += width }
        self.offsets = offsets
        channels = total
        pixels = first.shape[0] * first.shape[2] * first.shape[3]
        samples = first.shape[0]
        shapes = tensors.map(\.shape)
    }

    private var minimumChunk: Int { max(1, VectorLoops.parallelThreshold / max(1, channels)) }

    /// The tables as raw pointers: the loops run on several threads, and reading Swift arrays
    /// there would retain and release their shared buffers at every vector.
    private func withTable<R>(_ body: (SliceTable) -> R) -> R {
        pointers.withUnsafeBufferPointer { p in widths.withUnsafeBufferPointer { w in offsets.withUnsafeBufferPointer { o in
            body(SliceTable(pointers: p.baseAddress!, widths: w.baseAddress!, offsets: o.baseAddress!, slices: widths.count,
                            channels: channels))
        } } }
    }

    /// destination = x·scale + shift over the concatenated channels, then max(·, 0) with `relu`.
    func normalize(into destination: UnsafeMutablePointer<Float>, scale: [Float], shift: [Float], relu: Bool) {
        let floor = FloatVector(repeating: relu ? 0 : -.infinity)
        scale.withUnsafeBufferPointer { scale in shift.withUnsafeBufferPointer { shift in withTable { table in
            let s = scale.baseAddress!, t = shift.baseAddress!
            Parallel.forRanges(pixels, minimumChunk: minimumChunk) { range in
                for pixel in range {
                    let row = destination + pixel * table.channels
                    table.gather(pixel, into: row)
                    SliceTable.forEachVector(table.channels) { at, lanes in
                        let y = VectorLoops.loadAny(t + at, lanes).addingProduct(VectorLoops.loadAny(row + at, lanes), VectorLoops.loadAny(s + at, lanes))
                        VectorLoops.storeAny(VectorMath.maximum(y, floor), row + at, lanes)
                    }
                }
            }
        } } }
    }

    /// Per channel (Σ g', Σ g'·(x − mean)), g' the upstream gradient, with `relu` masked where the
    /// normalised output is not positive, in double. Runs of pixels aligned to the samples
    /// (`SampleAlignedRuns`) are summed in float32 and then added in double, so the sums keep
    /// float32's precision over a whole batch and do not depend on the thread count or on how the
    /// batch is split over replicas.
    func gradientSums(_ upstream: UnsafePointer<Float>, _ normalized: UnsafePointer<Float>, mean: [Float], relu: Bool) -> ([Double], [Double]) {
        let parts = max(1, min(Threads.count, pixels / minimumChunk))
        let channels = channels
        let runs = SampleAlignedRuns(rows: pixels, samples: samples)
        var partials = [Double](repeating: 0, count: parts * 2 * channels)
        partials.withUnsafeMutableBufferPointer { partials in mean.withUnsafeBufferPointer { mean in withTable { table in
            let base = partials.baseAddress!, m = mean.baseAddress!
            Parallel.run(parts: parts) { part in
                let totals = base + part * 2 * channels
                let x = UnsafeMutablePointer<Float>.allocate(capacity: channels)
                let first = UnsafeMutablePointer<Float>.allocate(capacity: 2 * channels), second = first + channels
                first.initialize(repeating: 0, count: 2 * channels)
                defer { x.deallocate(); first.deallocate() }
                func flush() {
                    for index in 0..<(2 * channels) {
                        totals[index] += Double(first[index])
                        first[index] = 0
                    }
                }
                for run in runs.runs(part: part, of: parts) {
                    for pixel in runs.rows(run) {
                        table.gather(pixel, into: x)
                        let row = pixel * channels
                        SliceTable.forEachVector(channels) { at, lanes in
                            let g = SliceTable.masked(upstream + row + at, normalized + row + at, lanes, relu)
                            let centered = VectorLoops.loadAny(x + at, lanes) - VectorLoops.loadAny(m + at, lanes)
                            VectorLoops.storeAny(VectorLoops.loadAny(first + at, lanes) + g, first + at, lanes)
                            VectorLoops.storeAny(VectorLoops.loadAny(second + at, lanes).addingProduct(g, centered), second + at, lanes)
                        }
                    }
                    flush()
                }
            }
        } } }
        return ChannelLayout.combine(partials, parts: parts, channels: channels)
    }

    /// Each needed slice's gradient a·g' + b·x + c, g' masked as in `gradientSums`.
    func gradients(_ upstream: UnsafePointer<Float>, _ normalized: UnsafePointer<Float>, a: [Float], b: [Float], c: [Float],
                   relu: Bool, needs: [Bool]) -> [Tensor?] {
        let results = zip(shapes, needs).map { shape, needed in needed ? Tensor(uninitializedShape: shape, format: .channelsLast) : nil }
        let destinations = results.map { $0?.storage.pointer }
        let channels = channels
        destinations.withUnsafeBufferPointer { destinations in
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeBufferPointer { c in withTable { table in
                let pa = a.baseAddress!, pb = b.baseAddress!, pc = c.baseAddress!, targets = destinations.baseAddress!
                Parallel.forRanges(pixels, minimumChunk: minimumChunk) { range in
                    let x = UnsafeMutablePointer<Float>.allocate(capacity: channels)
                    defer { x.deallocate() }
                    for pixel in range {
                        table.gather(pixel, into: x)
                        let row = pixel * channels
                        SliceTable.forEachVector(channels) { at, lanes in
                            let g = SliceTable.masked(upstream + row + at, normalized + row + at, lanes, relu)
                            let dx = (g * VectorLoops.loadAny(pa + at, lanes)).addingProduct(VectorLoops.loadAny(x + at, lanes), VectorLoops.loadAny(pb + at, lanes))
                                + VectorLoops.loadAny(pc + at, lanes)
                            VectorLoops.storeAny(dx, x + at, lanes)
                        }
                        table.scatter(x, pixel, into: targets)
                    }
                }
            } } } }
        }
        return results
    }
}

/// `SliceLayout`'s tables as raw pointers, for the loops. A pixel's channels are gathered from
/// the slices into one contiguous row and worked on in whole vectors there: the slices are
/// narrower than a vector (12 channels in DenseNet-100), and per-slice partial vectors would
/// go lane by lane.
private struct SliceTable: @unchecked Sendable {
    let pointers: UnsafePointer<UnsafeMutablePointer<Float>>
    let widths: UnsafePointer<Int>
    let offsets: UnsafePointer<Int>
    let slices: Int
    let channels: Int

    /// row[0..<channels] = the pixel's channels of every slice.
    @inline(__always)
    func gather(_ pixel: Int, into row: UnsafeMutablePointer<Float>) {
        for slice in 0..<slices {
            let width = widths[slice]
            (row + offsets[slice]).update(from: pointers[slice] + pixel * width, count: width)
        }
    }

    /// The reverse of `gather`, into the slices that have a destination.
    @inline(__always)
    func scatter(_ row: UnsafePointer<Float>, _ pixel: Int, into destinations: UnsafePointer<UnsafeMutablePointer<Float>?>) {
        for slice in 0..<slices {
            guard let destination = destinations[slice] else { continue }
            let width = widths[slice]
            (destination + pixel * width).update(from: row + offsets[slice], count: width)
        }
    }

    /// body(offset, lanes) over a row of `count` floats: whole vectors, then the tail.
    @inline(__always)
    static func forEachVector(_ count: Int, _ body: (Int, Int) -> Void) {
        var at = 0
        while at + FloatVector.scalarCount <= count {
            body(at, FloatVector.scalarCount)
            at += FloatVector.scalarCount
        }
        if at < count { body(at, count - at) }
    }

    /// The upstream gradient, zero where a fused ReLU's output is not positive.
    @inline(__always)
    static func masked(_ upstream: UnsafePointer<Float>, _ normalized: UnsafePointer<Float>, _ lanes: Int, _ relu: Bool) -> FloatVector {
        let g = VectorLoops.loadAny(upstream, lanes)
        return relu ? g.replacing(with: 0, where: VectorLoops.loadAny(normalized, lanes) .<= 0) : g
    }
}
