import Synchronization
/// 2-D convolution on NHWC activations and OIHW weights: oneDNN on Linux, and a portable
/// im2col + sgemm engine elsewhere (also selectable on Linux, where tests check both).
public enum Convolution {
    public enum Backend: Sendable {
        case oneDNN
        case gemm
    }

    /// The default engine: oneDNN where it is available.
    public static var defaultBackend: Backend {
        #if canImport(CDNNL)
        return .oneDNN
        #else
        return .gemm
        #endif
    }

    private static let algorithmSetting = Mutex(ConvolutionAlgorithm.automatic)

    /// Direct or Winograd sums for the oneDNN-backend float32 convolutions, process-wide:
    /// training's, and the default of inference forms made after it is set. `.automatic` takes
    /// oneDNN's Winograd where `ConvolutionAlgorithm.prefersWinograd` says it pays and oneDNN has
    /// it (AVX-512), and our own where oneDNN has none and `prefersOwnWinograd` says it pays in
    /// training.
    public static var algorithm: ConvolutionAlgorithm {
        get { algorithmSetting.withLock { $0 } }
        set { algorithmSetting.withLock { $0 = newValue } }
    }

    /// destination (NHWC) = source (NHWC) ⊛ weights (OIHW) + bias.
    public static func forward(_ geometry: ConvolutionGeometry, source: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, destination: UnsafeMutablePointer<Float>,
                               backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN where algorithm.choosesOwnWinograd(for: geometry, training: true):
            WinogradConvolution.forward(geometry, source: source, weights: weights, bias: bias, destination: destination)
        case .oneDNN:
            #if canImport(CDNNL)
            OneDNNConvolution.primitives(for: geometry).forward(source: source, weights: weights, bias: bias, destination: destination)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            GemmConvolution(geometry).forward(source: source, weights: weights, bias: bias, destination: destination)
        }
    }

    /// gradientSource (NHWC) = d(loss)/d(source) given d(loss)/d(destination).
    public static func backwardData(_ geometry: ConvolutionGeometry, gradientDestination: UnsafePointer<Float>,
                                    weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>,
                                    backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN where algorithm.choosesOwnWinograd(for: geometry, training: true):
            WinogradConvolution.backwardData(geometry, gradientDestination: gradientDestination, weights: weights,
                                             gradientSource: gradientSource)
        case .oneDNN:
            #if canImport(CDNNL)
            OneDNNConvolution.primitives(for: geometry).backwardData(gradientDestination: gradientDestination, weights: weights,
                                                                      gradientSource: gradientSource)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            GemmConvolution(geometry).backwardData(gradientDestination: gradientDestination, weights: weights, gradientSource: gradientSource)
        }
    }

    /// gradientWeights (OIHW) and gradientBias = d(loss)/d(weights, bias), overwritten.
    public static func backwardWeights(_ geometry: ConvolutionGeometry, source: UnsafePointer<Float>,
                                       gradientDestination: UnsafePointer<Float>, gradientWeights: UnsafeMutablePointer<Float>,
                                       gradientBias: UnsafeMutablePointer<Float>?, backend: Backend = defaultBackend) {
        switch backend {
        case .oneDNN where algorithm.choosesOwnWinograd(for: geometry, training: true):
            WinogradConvolution.backwardWeights(geometry, source: source, gradientDestination: gradientDestination,
                                                gradientWeights: gradientWeights, gradientBias: gradientBias)
        case .oneDNN where geometry.kernelHeight == 1 && geometry.kernelWidth == 1 && (geometry.strideHeight > 1 || geometry.strideWidth > 1):
            // oneDNN 2.6's 1x1 strided backward-weights kernel on AVX2 CPUs returned wrong weight
            // gradients here (50-80 % off the PyTorch oracle, varying with the memory it was given),
            // so these small shortcut convolutions take the GEMM engine's exact path.
            GemmConvolution(geometry).backwardWeights(source: source, gradientDestination: gradientDestination,
                                                      gradientWeights: gradientWeights, gradientBias: gradientBias)
        case .oneDNN:
            #if canImport(CDNNL)
            OneDNNConvolution.primitives(for: geometry).backwardWeights(source: source, gradientDestination: gradientDestination,
                                                                         gradientWeights: gradientWeights, gradientBias: gradientBias)
            #else
            preconditionFailure("Convolution: oneDNN is not available on this platform")
            #endif
        case .gemm:
            GemmConvolution(geometry).backwardWeights(source: source, gradientDestination: gradientDestination,
                                                      gradientWeights: gradientWeights, gradientBias: gradientBias)
        }
    }
}
