import CKernels

/// Our own Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions on NHWC activations, for CPUs whose
/// oneDNN has none (2.6 has Winograd for AVX-512 only, so AVX2-only CPUs ran direct kernels).
///
/// Each pass turns 4x4 output tiles into 36 independent matrix products: the C transforms
/// (`WinogradBodies.h`, built per instruction set and picked like the other C kernels by
/// `KernelVariant`) move 6x6 input patches, 4x4 output tiles and 3x3 filters in and out of the
/// transformed domain, and OpenBLAS's sgemm does the products. The tiles go through in chunks,
/// so the transformed activations stay a bounded workspace (a few tens of MB a thread at most)
/// however large the batch. Backward-data is the forward pass on the
/// output gradient with the filters turned and transposed; backward-weights is the forward
/// pass's own chain rule, G^T [(A dY A^T) o (B^T d B)] G summed over the tiles.
///
/// It rounds differently from the direct sum: about 6e-7 relative (rms) in all three passes.
public enum WinogradConvolution {
    /// The transforms of the running kernel build.
    private static let table: MPWWinogradTable = {
        let variant = KernelVariant.active
        return (mpw_winograd_table(variant.index) ?? mpw_winograd_table(Int32(MPW_KERNELS_PORTABLE))!).pointee
    }()

    /// The name diagnostics and benchmarks show, in oneDNN's style ("wino_4x3:mpw_avx2").
    public static var implementation: String { "wino_4x3:mpw_\(KernelVariant.active.rawValue)" }

    /// True for the shapes it computes: 3x3 kernels at stride 1, any padding, size and channels.
    public static func serves(_ geometry: ConvolutionGeometry) -> Bool {
        geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.strideHeight == 1 && geometry.strideWidth == 1
            && geometry.outputHeight > 0 && geometry.outputWidth > 0
    }

    /// destination = epilogue(source ⊛ weights + bias) (NHWC, OIHW weights).
    public static func forward(_ g: ConvolutionGeometry, source: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, destination: UnsafeMutablePointer<Float>,
                               epilogue: FusedConvolution.Epilogue = .init()) {
        convolve(Pass(source: source, height: g.inputHeight, width: g.inputWidth, channels: g.inputChannels,
                      paddingY: g.paddingHeight, paddingX: g.paddingWidth, outputs: g.outputChannels,
                      outputHeight: g.outputHeight, outputWidth: g.outputWidth, batch: g.batch),
                 weights: weights, backwardData: false, bias: g.hasBias ? bias : nil, epilogue: epilogue, destination: destination)
    }

    /// gradientSource = d(loss)/d(source): the forward pass of the output gradient with each
    /// filter turned by 180 degrees, inputs and outputs swapped, and padding 2 - p.
    public static func backwardData(_ g: ConvolutionGeometry, gradientDestination: UnsafePointer<Float>,
                                    weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>) {
        convolve(Pass(source: gradientDestination, height: g.outputHeight, width: g.outputWidth, channels: g.outputChannels,
                      paddingY: 2 - g.paddingHeight, paddingX: 2 - g.paddingWidth, outputs: g.inputChannels,
                      outputHeight: g.inputHeight, outputWidth: g.inputWidth, batch: g.batch),
                 weights: weights, backwardData: true, bias: nil, epilogue: .init(), destination: gradientSource)
    }

    /// gradientWeights (OIHW) and gradientBias, overwritten.
    public static func backwardWeights(_ g: ConvolutionGeometry, source: UnsafePointer<Float>,
                                       gradientDestination: UnsafePointer<Float>, gradientWeights: UnsafeMutablePointer<Float>,
                                       gradientBias: UnsafeMutablePointer<Float>?) {
        let tiling = WinogradTiling(batch: g.batch, height: g.outputHeight, width: g.outputWidth,
                            channels: g.inputChannels + g.outputChannels)
        let plane = g.inputChannels * g.outputChannels
        let (inputs, outputs) = (g.inputChannels, g.outputChannels)
        ConvolutionWorkspace.withScratch([36 * plane, 36 * tiling.chunk * inputs, 36 * tiling.chunk * outputs]) { scratch in
            let (filterGradient, transformedSource, transformedGradient) = (scratch[0], scratch[1], scratch[2])
            for first in stride(from: 0, to: tiling.count, by: tiling.chunk) {
                let count = min(tiling.chunk, tiling.count - first)
                Parallel.forRanges(count, minimumChunk: 4) { range in
                    table.input(source, g.inputHeight, g.inputWidth, inputs, g.paddingHeight, g.paddingWidth, tiling.tilesY,
                                tiling.tilesX, first, count, range.lowerBound, range.upperBound, transformedSource)
                    table.gradient(gradientDestination, g.outputHeight, g.outputWidth, outputs, tiling.tilesY, tiling.tilesX,
                                   first, count, range.lowerBound, range.upperBound, transformedGradient)
                }
                Parallel.forEach(36) { k in
                    BLAS.sgemm(transposeA: true, transposeB: false, m: inputs, n: outputs, k: count,
                               a: transformedSource + k * count * inputs, lda: inputs,
                               b: transformedGradient + k * count * outputs, ldb: outputs,
                               beta: first == 0 ? 0 : 1, c: filterGradient + k * plane, ldc: outputs)
                }
            }
            Parallel.forRanges(outputs) { range in
                table.filter_gradient(filterGradient, outputs, inputs, range.lowerBound, range.upperBound, gradientWeights)
            }
        }
        if let gradientBias { sumChannels(gradientDestination, rows: g.batch * g.outputHeight * g.outputWidth, channels: outputs,
                                          into: gradientBias) }
    }

    /// One convolution of `source` (batch x height x width x channels) into `outputs` channels of
    /// outputHeight x outputWidth, its filters already transformed.
    private struct Pass {
        let source: UnsafePointer<Float>
        let height, width, channels, paddingY, paddingX, outputs, outputHeight, outputWidth, batch: Int
    }

    /// `weights` are the forward pass's OIHW filters, transformed for this pass (`backwardData`).
    /// Each thread takes a contiguous share of the tiles and runs it chunk by chunk through all
    /// three steps (input transform, 36 sgemm products, output transform) in its own part of the
    /// workspace: one parallel region per call rather than three per chunk, whose barriers cost
    /// more than they balance. Fewer than 32 tiles a thread (one image, a small map) stay on the
    /// calling thread, where OpenBLAS threads the products itself.
    private static func convolve(_ p: Pass, weights: UnsafePointer<Float>, backwardData: Bool, bias: UnsafePointer<Float>?,
                                 epilogue: FusedConvolution.Epilogue, destination: UnsafeMutablePointer<Float>) {
        let tiling = WinogradTiling(batch: p.batch, height: p.outputHeight, width: p.outputWidth, channels: p.channels + p.outputs)
        let parts = Parallel.isInsideParallelRegion ? 1 : max(1, min(Threads.count, tiling.count / 32))
        let chunk = min(tiling.chunk, (tiling.count + parts - 1) / parts)
        let perPart = [36 * chunk * p.channels, 36 * chunk * p.outputs]
        ConvolutionWorkspace.withScratch([36 * p.channels * p.outputs] + Array(repeatElement(perPart, count: parts).joined())) { scratch in
            let filters = scratch[0]
            let (forwardOutputs, forwardInputs) = backwardData ? (p.channels, p.outputs) : (p.outputs, p.channels)
            transformFilters(weights, outputs: forwardOutputs, inputs: forwardInputs, backwardData: backwardData, into: filters)
            Parallel.run(parts: parts) { part in
                let (transformedSource, products) = (scratch[1 + 2 * part], scratch[2 + 2 * part])
                let (lower, upper) = (tiling.count * part / parts, tiling.count * (part + 1) / parts)
                for first in stride(from: lower, to: upper, by: chunk) {
                    let count = min(chunk, upper - first)
                    table.input(p.source, p.height, p.width, p.channels, p.paddingY, p.paddingX, tiling.tilesY, tiling.tilesX,
                                first, count, 0, count, transformedSource)
                    for k in 0..<36 {
                        BLAS.sgemm(transposeA: false, transposeB: false, m: count, n: p.outputs, k: p.channels,
                                   a: transformedSource + k * count * p.channels, lda: p.channels,
                                   b: filters + k * p.channels * p.outputs, ldb: p.outputs,
                                   c: products + k * count * p.outputs, ldc: p.outputs)
                    }
                    table.output(products, p.outputHeight, p.outputWidth, p.outputs, tiling.tilesY, tiling.tilesX, first, count,
                                 0, count, bias, epilogue.addsDestination ? 1 : 0, epilogue.relu ? 1 : 0, destination)
                }
            }
        }
    }

    /// G g G^T of every filter, [36][inputs][outputs] (backward data: [36][outputs][inputs], turned).
    private static func transformFilters(_ weights: UnsafePointer<Float>, outputs: Int, inputs: Int, backwardData: Bool,
                                         into transformed: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(outputs) { range in
            table.filter(weights, outputs, inputs, backwardData ? 1 : 0, range.lowerBound, range.upperBound, transformed)
        }
    }

    /// totals[c] = the sum over rows of values[row * channels + c].
    private static func sumChannels(_ values: UnsafePointer<Float>, rows: Int, channels: Int, into totals: UnsafeMutablePointer<Float>) {
        totals.initialize(repeating: 0, count: channels)
        for row in 0..<rows {
            let line = values + row * channels
            for c in 0..<channels { totals[c] += line[c] }
        }
    }
}

/// The 4x4 output tiles of one pass and how many go through the transformed domain at once.
struct WinogradTiling {
    let tilesY, tilesX, count, chunk: Int

    /// Tiles per chunk: the transformed source and products of a chunk (36 x tiles x `channels`
    /// floats, inputs and outputs together) within 8 M floats (32 MB), and 128 to 512 tiles, which
    /// ran fastest from 16 to 640 channels (AMD EPYC family 25 model 1, one core; a wider chunk
    /// falls out of the caches, a narrower one makes the products too thin for sgemm).
    init(batch: Int, height: Int, width: Int, channels: Int) {
        tilesY = (height + 3) / 4
        tilesX = (width + 3) / 4
        count = batch * tilesY * tilesX
        chunk = min(count, max(128, min(512, (1 << 23) / (36 * channels))))
    }
}
