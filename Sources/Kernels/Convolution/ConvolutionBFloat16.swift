/// Mixed-precision 2-D convolution: bfloat16 activations and gradients in, float32 results out,
/// float32 accumulation; weights are float32 OIHW and rounded to bf16 by the engine.
///
/// On oneDNN this needs a CPU with native bf16 (`CPUFeatures.nativeBFloat16`; check with
/// `Precision.bf16.requireSupport()`). The portable `.gemm` engine computes the same products in
/// float32 on bf16-rounded operands (bf16 products are exact in float32), for platforms without
/// oneDNN and as a cross-check of it.
extension Convolution {
    /// True when `backend` has a bf16 kernel for this geometry: always for the portable engine; on
    /// oneDNN when the CPU has native bf16 and oneDNN has a non-reference kernel for all three
    /// passes. Convolutions without one run in float32.
    public static func runsBFloat16(_ geometry: ConvolutionGeometry, backend: Backend = defaultBackend) -> Bool {
        switch backend {
        case .oneDNN:
            #if canImport(CDNNL)
            return CPUFeatures.nativeBFloat16 && OneDNNConvolution.primitives(for: geometry, precision: .bfloat16) != nil
            #else
            return false
            #endif
        case .gemm:
            return true
        }
    }

    /// destination (NHWC, float32) = source (NHWC, bf16) ⊛ bf16(weights) + bias.
    public static func forwardBFloat16(_ geometry: ConvolutionGeometry, source: UnsafePointer<BFloat16.Bits>, weights: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>?, destination: UnsafeMutablePointer<Float>,
                                       backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN:
            #if canImport(CDNNL)
            native(geometry).forward(source: source, weights: weights, bias: bias, destination: destination)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            let widened = Widened(source, count: geometry.inputCount), filters = Widened(roundingWeights: weights, count: geometry.weightCount)
            GemmConvolution(geometry).forward(source: widened.pointer, weights: filters.pointer, bias: bias, destination: destination)
        }
    }

    /// gradientSource (NHWC, float32) = d(loss)/d(source) given d(loss)/d(destination) in bf16.
    public static func backwardDataBFloat16(_ geometry: ConvolutionGeometry, gradientDestination: UnsafePointer<BFloat16.Bits>,
                                            weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>,
                                            backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN:
            #if canImport(CDNNL)
            native(geometry).backwardData(gradientDestination: gradientDestination, weights: weights,
                                                                              gradientSource: gradientSource)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            let gradient = Widened(gradientDestination, count: geometry.outputCount)
            let filters = Widened(roundingWeights: weights, count: geometry.weightCount)
            GemmConvolution(geometry).backwardData(gradientDestination: gradient.pointer, weights: filters.pointer, gradientSource: gradientSource)
        }
    }

    /// gradientWeights (OIHW) and gradientBias in float32, overwritten, from bf16 source and gradient.
    public static func backwardWeightsBFloat16(_ geometry: ConvolutionGeometry, source: UnsafePointer<BFloat16.Bits>,
                                               gradientDestination: UnsafePointer<BFloat16.Bits>, gradientWeights: UnsafeMutablePointer<Float>,
                                               gradientBias: UnsafeMutablePointer<Float>?, backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN:
            #if canImport(CDNNL)
            native(geometry).backwardWeights(source: source, gradientDestination: gradientDestination,
                                                                                 gradientWeights: gradientWeights, gradientBias: gradientBias)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            let widened = Widened(source, count: geometry.inputCount), gradient = Widened(gradientDestination, count: geometry.outputCount)
            GemmConvolution(geometry).backwardWeights(source: widened.pointer, gradientDestination: gradient.pointer,
                                                      gradientWeights: gradientWeights, gradientBias: gradientBias)
        }
    }

    #if canImport(CDNNL)
    private static func native(_ geometry: ConvolutionGeometry) -> OneDNNConvolution {
        precondition(CPUFeatures.nativeBFloat16,
                     "Convolution: bf16 on oneDNN needs \(CPUFeatures.missingBFloat16Feature); check Precision.bf16.requireSupport() first")
        guard let primitives = OneDNNConvolution.primitives(for: geometry, precision: .bfloat16) else {
            preconditionFailure("Convolution: oneDNN has no native bf16 kernel for \(geometry); check runsBFloat16 first")
        }
        return primitives
    }
    #endif
}

/// A float32 scratch copy of bf16 values (or of float32 weights rounded to bf16) for the portable engine.
private final class Widened {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ source: UnsafePointer<BFloat16.Bits>, count: Int) {
        self.count = count
        pointer = AlignedMemory.allocate(count: count)
        BFloat16.widen(source, into: pointer, count: count)
    }

    init(roundingWeights weights: UnsafePointer<Float>, count: Int) {
        self.count = count
        pointer = AlignedMemory.allocate(count: count)
        BFloat16.roundToFloat(weights, into: pointer, count: count)
    }

    deinit { AlignedMemory.release(pointer, count: count) }
}
