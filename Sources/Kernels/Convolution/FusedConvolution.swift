/// A convolution for inference only, with fixed weights (BatchNorm already folded in), a bias,
/// and what follows it in the network done in the same pass: adding what the destination held
/// (a residual sum), then ReLU. Weights are reordered once per input shape into the layout the
/// engine prefers, and nothing is kept for a backward pass.
public final class FusedConvolution: @unchecked Sendable {
    /// What the convolution does after adding its bias.
    public struct Epilogue: Hashable, Sendable {
        /// destination = convolution + destination's previous contents.
        public var addsDestination: Bool
        /// max(·, 0) last.
        public var relu: Bool

        public init(addsDestination: Bool = false, relu: Bool = false) {
            self.addsDestination = addsDestination
            self.relu = relu
        }
    }

    public let outputChannels, inputChannels, kernelSize, stride, padding: Int
    public let epilogue: Epilogue
    /// OIHW weights as folded, and the per-output-channel bias at a fixed address (oneDNN's
    /// memory objects keep pointing at it).
    let weights: [Float]
    let bias: UnsafeMutablePointer<Float>
    let backend: Convolution.Backend
    /// Direct or Winograd, per input shape (oneDNN backend only, with oneDNN's Winograd or, on
    /// CPUs without it, ours; the GEMM engine is always direct). Our Winograd transforms the
    /// weights on every call rather than keeping a transformed copy four times their size.
    public let algorithm: ConvolutionAlgorithm
    #if canImport(CDNNL)
    private let plans = OneDNNFusedConvolution.Plans()
    #endif

    /// `weights` are OIHW of shape (outputChannels, inputChannels, kernelSize, kernelSize).
    public init(weights: [Float], bias: [Float], inputChannels: Int, kernelSize: Int, stride: Int, padding: Int, epilogue: Epilogue,
                backend: Convolution.Backend = Convolution.defaultBackend, algorithm: ConvolutionAlgorithm = .automatic) {
        precondition(kernelSize > 0 && inputChannels > 0 && weights.count % (inputChannels * kernelSize * kernelSize) == 0,
                     "FusedConvolution: \(weights.count) weights do not fit \(inputChannels) channels of \(kernelSize)x\(kernelSize)")
        outputChannels = weights.count / (inputChannels * kernelSize * kernelSize)
        precondition(bias.count == outputChannels, "FusedConvolution: \(bias.count) biases for \(outputChannels) channels")
        self.inputChannels = inputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.epilogue = epilogue
        self.weights = weights
        let biasBuffer = AlignedMemory.allocate(count: outputChannels)
        biasBuffer.initialize(from: bias, count: outputChannels)
        self.bias = biasBuffer
        self.backend = backend
        self.algorithm = algorithm
    }

    deinit { AlignedMemory.release(bias, count: outputChannels) }

    /// The geometry of one call on an NHWC input of `batch` x `height` x `width`.
    public func geometry(batch: Int, height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, inputHeight: height, inputWidth: width,
                            kernelHeight: kernelSize, kernelWidth: kernelSize, strideHeight: stride, strideWidth: stride,
                            paddingHeight: padding, paddingWidth: padding, hasBias: true)
    }

    /// destination (NHWC) = epilogue(source (NHWC) ⊛ weights + bias [+ destination]).
    public func run(_ geometry: ConvolutionGeometry, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        switch backend {
        case .oneDNN where algorithm.choosesOwnWinograd(for: geometry):
            weights.withUnsafeBufferPointer { w in
                WinogradConvolution.forward(geometry, source: source, weights: w.baseAddress!, bias: bias, destination: destination,
                                            epilogue: epilogue)
            }
        case .oneDNN:
            #if canImport(CDNNL)
            plans.plan(for: geometry, weights: weights, epilogue: epilogue, algorithm: algorithm)
                .run(source: source, bias: bias, destination: destination)
            #else
            runGemm(geometry, source: source, destination: destination)
            #endif
        case .gemm:
            runGemm(geometry, source: source, destination: destination)
        }
    }

    /// The implementation that runs `geometry`: oneDNN's name for it (such as
    /// "jit_wino_4x3:avx512_core" or "brgconv:avx512_core"), ours ("wino_4x3:mpw_avx2"), or "gemm".
    public func implementation(for geometry: ConvolutionGeometry) -> String {
        if backend == .oneDNN && algorithm.choosesOwnWinograd(for: geometry) { return WinogradConvolution.implementation }
        #if canImport(CDNNL)
        if backend == .oneDNN { return plans.plan(for: geometry, weights: weights, epilogue: epilogue, algorithm: algorithm).implementation }
        #endif
        return "gemm"
    }

    /// The portable path: the GEMM engine's convolution, then the epilogue in one pass.
    private func runGemm(_ geometry: ConvolutionGeometry, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        let count = geometry.outputCount
        let convolved = epilogue.addsDestination ? AlignedMemory.allocate(count: count) : destination
        defer { if epilogue.addsDestination { AlignedMemory.release(convolved, count: count) } }
        weights.withUnsafeBufferPointer { w in
            GemmConvolution(geometry).forward(source: source, weights: w.baseAddress!, bias: bias, destination: convolved)
        }
        switch (epilogue.addsDestination, epilogue.relu) {
        case (true, true): for i in 0..<count { destination[i] = max(convolved[i] + destination[i], 0) }
        case (true, false): for i in 0..<count { destination[i] += convolved[i] }
        case (false, true): for i in 0..<count { destination[i] = max(destination[i], 0) }
        case (false, false): break
        }
    }
}
