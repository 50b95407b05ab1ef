/// Convolution as im2col plus one sgemm per chunk of images, on NHWC activations: the portable
/// engine for platforms without oneDNN, and a cross-check of it. The patch matrix has one row per
/// output pixel holding its (kh, kw, c) neighbourhood, so in NHWC each kernel tap copies a whole
/// contiguous channel vector.
struct GemmConvolution {
    let g: ConvolutionGeometry
    let patchLength: Int
    let pixelsPerImage: Int
    /// Images per sgemm, bounding the patch matrix to about 16 MB.
    let imagesPerChunk: Int

    init(_ geometry: ConvolutionGeometry) {
        g = geometry
        patchLength = g.kernelHeight * g.kernelWidth * g.inputChannels
        pixelsPerImage = g.outputHeight * g.outputWidth
        imagesPerChunk = max(1, min(g.batch, (4 << 20) / max(1, pixelsPerImage * patchLength)))
    }

    /// Weights OIHW → OHWI, so that row o matches the (kh, kw, c) order of a patch.
    private func weightsByPatch(_ weights: UnsafePointer<Float>) -> [Float] {
        var result = [Float](repeating: 0, count: g.weightCount)
        for o in 0..<g.outputChannels { for c in 0..<g.inputChannels { for kh in 0..<g.kernelHeight { for kw in 0..<g.kernelWidth {
            result[((o * g.kernelHeight + kh) * g.kernelWidth + kw) * g.inputChannels + c] =
                weights[((o * g.inputChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw]
        } } } }
        return result
    }

    /// Calls body(rowIndex, sourceOffset) for every in-bounds tap of every output pixel of the chunk.
    private func forEachTap(images: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        var row = 0
        for n in images { for oh in 0..<g.outputHeight { for ow in 0..<g.outputWidth {
            for kh in 0..<g.kernelHeight {
                let ih = oh * g.strideHeight - g.paddingHeight + kh
                for kw in 0..<g.kernelWidth {
                    let iw = ow * g.strideWidth - g.paddingWidth + kw
                    guard ih >= 0, ih < g.inputHeight, iw >= 0, iw < g.inputWidth else { continue }
                    body(row, (kh * g.kernelWidth + kw) * g.inputChannels, ((n * g.inputHeight + ih) * g.inputWidth + iw) * g.inputChannels)
                }
            }
            row += 1
        } } }
    }

    private func patches(_ source: UnsafePointer<Float>, images: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        columns.initialize(repeating: 0, count: images.count * pixelsPerImage * patchLength)
        forEachTap(images: images) { row, tap, offset in
            (columns + row * patchLength + tap).update(from: source + offset, count: g.inputChannels)
        }
    }

    private func chunks() -> [Range<Int>] {
        stride(from: 0, to: g.batch, by: imagesPerChunk).map { $0..<min(g.batch, $0 + imagesPerChunk) }
    }

    func forward(source: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 destination: UnsafeMutablePointer<Float>) {
        let filters = weightsByPatch(weights)
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: imagesPerChunk * pixelsPerImage * patchLength)
        defer { columns.deallocate() }
        for images in chunks() {
            patches(source, images: images, into: columns)
            let rows = images.count * pixelsPerImage
            let out = destination + images.lowerBound * pixelsPerImage * g.outputChannels
            if g.hasBias, let bias {
                for row in 0..<rows { (out + row * g.outputChannels).update(from: bias, count: g.outputChannels) }
            }
            filters.withUnsafeBufferPointer { w in
                BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: g.outputChannels, k: patchLength,
                           a: columns, lda: patchLength, b: w.baseAddress!, ldb: patchLength,
                           beta: g.hasBias && bias != nil ? 1 : 0, c: out, ldc: g.outputChannels)
            }
        }
    }

    func backwardData(gradientDestination: UnsafePointer<Float>, weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>) {
        let filters = weightsByPatch(weights)
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: imagesPerChunk * pixelsPerImage * patchLength)
        defer { columns.deallocate() }
        gradientSource.initialize(repeating: 0, count: g.inputCount)
        for images in chunks() {
            let rows = images.count * pixelsPerImage
            filters.withUnsafeBufferPointer { w in
                BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: patchLength, k: g.outputChannels,
                           a: gradientDestination + images.lowerBound * pixelsPerImage * g.outputChannels, lda: g.outputChannels,
                           b: w.baseAddress!, ldb: patchLength, c: columns, ldc: patchLength)
            }
            forEachTap(images: images) { row, tap, offset in
                let patch = columns + row * patchLength + tap
                for c in 0..<g.inputChannels { gradientSource[offset + c] += patch[c] }
            }
        }
    }

    func backwardWeights(source: UnsafePointer<Float>, gradientDestination: UnsafePointer<Float>,
                         gradientWeights: UnsafeMutablePointer<Float>, gradientBias: UnsafeMutablePointer<Float>?) {
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: imagesPerChunk * pixelsPerImage * patchLength)
        defer { columns.deallocate() }
        var filters = [Float](repeating: 0, count: g.weightCount)
        for images in chunks() {
            patches(source, images: images, into: columns)
            let rows = images.count * pixelsPerImage
            filters.withUnsafeMutableBufferPointer { w in
                BLAS.sgemm(transposeA: true, transposeB: false, m: g.outputChannels, n: patchLength, k: rows,
                           a: gradientDestination + images.lowerBound * pixelsPerImage * g.outputChannels, lda: g.outputChannels,
                           b: columns, ldb: patchLength, beta: images.lowerBound == 0 ? 0 : 1, c: w.baseAddress!, ldc: patchLength)
            }
        }
        for o in 0..<g.outputChannels { for c in 0..<g.inputChannels { for kh in 0..<g.kernelHeight { for kw in 0..<g.kernelWidth {
            gradientWeights[((o * g.inputChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw] =
                filters[((o * g.kernelHeight + kh) * g.kernelWidth + kw) * g.inputChannels + c]
        } } } }
        if let gradientBias {
            gradientBias.initialize(repeating: 0, count: g.outputChannels)
            for row in 0..<(g.batch * pixelsPerImage) {
                for o in 0..<g.outputChannels { gradientBias[o] += gradientDestination[row * g.outputChannels + o] }
            }
        }
    }
}
