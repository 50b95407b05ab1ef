/// How a convolution computes its sums.
///
/// Winograd's F(4x4, 3x3) forms a 3x3 stride-1 convolution from 6x6 input tiles with a quarter of
/// the multiplications of the direct sum; on AVX-512 oneDNN runs it 1.4-3x faster than its best
/// direct kernel for 32 to 640 channels at batch 64 (Intel Xeon, family 6 model 207). It rounds
/// differently: against the direct sum, the outputs differ by about 1e-6 relative (rms) and
/// 4e-6 of the largest output at most, which is ten times the direct sum's own rounding and far
/// below what BatchNorm folding or a change of thread count already moves.
///
/// Where oneDNN has no Winograd (CPUs without AVX-512), our own (`WinogradConvolution`) runs
/// instead, in training's three passes and in the inference form alike.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Winograd where it pays (`prefersWinograd` for oneDNN's, `prefersOwnWinograd` for ours), else direct.
    case automatic
    /// The direct sum, as training computes it.
    case direct
    /// Winograd wherever oneDNN, or else ours, has it for the shape (for tests and comparisons).
    case winograd

    /// The shapes where Winograd, with the reorders to and from its blocked layout, beat the
    /// direct kernel (Intel Xeon family 6 model 207, 2 threads): 3x3 stride-1 convolutions of at
    /// least 32 channels in and out with at least 2^18 channel products over the batch (64
    /// channels at batch 64, 512 for one image). Alone, 64 channels at batch 64 gained 1.5x, 128
    /// and more 2.1-2.7x, 640 channels of one image 1.7x. 32 channels gained 1.16x alone but lost
    /// 6 % of ResNet-20's throughput in the network (the reorders' fixed costs); 16 channels and
    /// 64 channels of one image lost outright (0.96x and 0.74x).
    public static func prefersWinograd(_ geometry: ConvolutionGeometry) -> Bool {
        geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.strideHeight == 1 && geometry.strideWidth == 1
            && geometry.inputChannels >= 32 && geometry.outputChannels >= 32
            && geometry.inputChannels * geometry.outputChannels * geometry.batch >= 1 << 18
    }

    /// Whether this choice runs `geometry` with oneDNN's Winograd, where oneDNN has it.
    public func choosesWinograd(for geometry: ConvolutionGeometry) -> Bool {
        switch self {
        case .direct: false
        case .winograd: CPUFeatures.winogradConvolution
        case .automatic: CPUFeatures.winogradConvolution && Self.prefersWinograd(geometry)
        }
    }

    /// Whether this choice runs `geometry` with our own Winograd: on CPUs whose oneDNN has none,
    /// for the shapes it serves, where it pays (`.automatic`, and never on the portable kernel
    /// build, whose transforms are not vectorised for the CPU). `training` asks for training's
    /// three passes, where it pays only on wider layers than in the inference form.
    public func choosesOwnWinograd(for geometry: ConvolutionGeometry, training: Bool = false) -> Bool {
        guard !CPUFeatures.winogradConvolution, WinogradConvolution.serves(geometry) else { return false }
        switch self {
        case .direct: return false
        case .winograd: return true
        case .automatic: return KernelVariant.active != .portable && Self.prefersOwnWinograd(geometry, training: training)
        }
    }

    /// The shapes where our Winograd beat oneDNN's direct kernels (AMD EPYC family 25 model 1,
    /// AVX2, batch 64, 2 threads, a machine loaded by other work): 3x3 stride-1 convolutions with
    /// at least 2^16 channel products over the batch, of at least 32 channels in and out in the
    /// inference form and at least 128 in training. ResNet-20's inference form ran 1.10-1.19x
    /// faster than all-direct with Winograd from 32 channels, WRN-28-10's 2.0-2.6x (1 thread),
    /// but ResNet-20 trained 0.70-0.94x as fast with Winograd in its 32- and 64-channel layers
    /// (4 alternating pairs), and Winograd in its 16-channel layers too only broke even in the
    /// inference form.
    public static func prefersOwnWinograd(_ geometry: ConvolutionGeometry, training: Bool = false) -> Bool {
        let narrowest = training ? 128 : 32
        return geometry.kernelHeight == 3 && geometry.kernelWidth == 3 && geometry.strideHeight == 1 && geometry.strideWidth == 1
            && geometry.inputChannels >= narrowest && geometry.outputChannels >= narrowest
            && geometry.inputChannels * geometry.outputChannels * geometry.batch >= 1 << 16
    }
}
