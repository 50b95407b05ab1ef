import Foundation

/// A short measurement of bf16 against float32 convolution speed on this CPU, through the same
/// oneDNN wrappers training uses. Whether bf16 pays is not a cpuid question: an Intel Xeon
/// (family 6 model 207) and an AMD EPYC both report AVX512_BF16 without AMX and get the same
/// `brgconv:avx512_core_bf16` kernels, yet bf16 runs at about 0.5x f32 on the first and 1.6-1.9x on
/// the second. So this times one training step (forward, backward-data, backward-weights) of a
/// representative 3x3 convolution, alternating the precisions, and compares the medians.
public struct BFloat16SpeedProbe: Sendable {
    /// "measured", or "unavailable" when `--precision bf16` cannot run on this CPU.
    public let status: String
    /// Why bf16 is unavailable (nil when measured).
    public let reason: String?
    /// The convolution timed, e.g. "conv 64→64 3x3 stride 1 pad 1 on 64x8x8".
    public let geometry: String
    /// Median milliseconds of one forward + backward-data + backward-weights step; nil when unavailable.
    public let fp32Milliseconds: Double?
    public let bf16Milliseconds: Double?
    /// fp32 time over bf16 time: above 1 bf16 is faster.
    public let speedup: Double?
    /// Timed steps of each precision.
    public let rounds: Int
    public let threads: Int
    /// The forward kernels oneDNN chose, e.g. "brgconv:avx512_core" and "brgconv:avx512_core_bf16".
    public let fp32Kernel: String?
    public let bf16Kernel: String?

    /// 64→64 channels, 3x3, padding 1, batch 64 at 8x8: a ResNet-20 / WRN stage-3 convolution.
    public static let geometry = ConvolutionGeometry(batch: 64, inputChannels: 64, outputChannels: 64, inputHeight: 8, inputWidth: 8,
                                                     kernelHeight: 3, kernelWidth: 3, paddingHeight: 1, paddingWidth: 1)

    /// True when bf16 ran measurably slower than float32 (below 0.95x).
    public var bf16IsSlower: Bool { (speedup ?? 1) < 0.95 }

    /// One plain sentence: what to do about `--precision` on this CPU.
    public var recommendation: String {
        guard let speedup else { return "no bf16 convolution on this CPU (\(reason ?? "unavailable")): use fp32" }
        let factor = String(format: "%.2fx", speedup)
        if speedup > 1.05 { return "bf16 is \(factor) faster here: use --precision bf16" }
        if bf16IsSlower { return "bf16 is slower here (\(factor)): keep fp32" }
        return "bf16 runs at fp32's speed here (\(factor)): keep fp32"
    }

    /// Times the two precisions alternately for about `seconds` (at least 3 steps of each after a
    /// warm-up step that creates the primitives) on the current thread count.
    public static func run(seconds: Double) -> BFloat16SpeedProbe {
        let g = geometry
        let description = g.description
        let threads = Threads.count
        if let reason = Precision.bf16.unsupportedReason {
            let capped = NativeLibraries.oneDNNISALimit.map { limit in
                "--precision bf16 needs oneDNN's avx512_core_bf16 ISA (AVX512_BF16), and DNNL_MAX_CPU_ISA=\(limit) caps it to \(NativeLibraries.oneDNN?.isa ?? "less")"
            }
            return unavailable(reason: capped ?? "--precision bf16 needs \(reason)", geometry: description, threads: threads)
        }
        guard Convolution.runsBFloat16(g) else {
            return unavailable(reason: "oneDNN has no native bf16 kernel for \(description)", geometry: description, threads: threads)
        }
        let buffers = ProbeBuffers(g)
        defer { buffers.release() }
        var fp32: [Double] = [], bf16: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        var round = 0
        while round < 4 || (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < seconds && round < 1000) {
            let f = buffers.timeFloat32Step(), b = buffers.timeBFloat16Step()
            if round > 0 {
                fp32.append(f)
                bf16.append(b)
            }
            round += 1
        }
        let fp32Median = median(fp32), bf16Median = median(bf16)
        #if canImport(CDNNL)
        let kernels = (OneDNNConvolution.primitives(for: g).implementations.forward,
                       OneDNNConvolution.primitives(for: g, precision: .bfloat16)?.implementations.forward)
        #else
        let kernels: (String?, String?) = (nil, nil)
        #endif
        return BFloat16SpeedProbe(status: "measured", reason: nil, geometry: description, fp32Milliseconds: fp32Median * 1e3,
                                  bf16Milliseconds: bf16Median * 1e3, speedup: fp32Median / bf16Median, rounds: fp32.count,
                                  threads: threads, fp32Kernel: kernels.0, bf16Kernel: kernels.1)
    }

    private static func unavailable(reason: String, geometry: String, threads: Int) -> BFloat16SpeedProbe {
        BFloat16SpeedProbe(status: "unavailable", reason: reason, geometry: geometry, fp32Milliseconds: nil, bf16Milliseconds: nil,
                           speedup: nil, rounds: 0, threads: threads, fp32Kernel: nil, bf16Kernel: nil)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// The probe's activations, weights and gradients, filled with small pseudo-random values.
private struct ProbeBuffers {
    let geometry: ConvolutionGeometry
    let source, weights, gradient, gradientSource, gradientWeights, destination: UnsafeMutablePointer<Float>
    let sourceBits, gradientBits: UnsafeMutablePointer<BFloat16.Bits>

    init(_ g: ConvolutionGeometry) {
        geometry = g
        source = AlignedMemory.allocate(count: g.inputCount)
        gradientSource = AlignedMemory.allocate(count: g.inputCount)
        weights = AlignedMemory.allocate(count: g.weightCount)
        gradientWeights = AlignedMemory.allocate(count: g.weightCount)
        gradient = AlignedMemory.allocate(count: g.outputCount)
        destination = AlignedMemory.allocate(count: g.outputCount)
        sourceBits = .allocate(capacity: g.inputCount)
        gradientBits = .allocate(capacity: g.outputCount)
        var state: UInt32 = 12345
        for (pointer, count) in [(source, g.inputCount), (weights, g.weightCount), (gradient, g.outputCount)] {
            for i in 0..<count {
                state = state &* 1_664_525 &+ 1_013_904_223
                pointer[i] = Float(state >> 8) / Float(1 << 24) - 0.5
            }
        }
    }

    /// Seconds of one float32 training step of the convolution.
    func timeFloat32Step() -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        Convolution.forward(geometry, source: source, weights: weights, bias: nil, destination: destination)
        Convolution.backwardData(geometry, gradientDestination: gradient, weights: weights, gradientSource: gradientSource)
        Convolution.backwardWeights(geometry, source: source, gradientDestination: gradient, gradientWeights: gradientWeights, gradientBias: nil)
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// Seconds of one bf16 step, including the rounding of the input and gradient as autocast does.
    func timeBFloat16Step() -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        BFloat16.round(source, into: sourceBits, count: geometry.inputCount)
        Convolution.forwardBFloat16(geometry, source: sourceBits, weights: weights, bias: nil, destination: destination)
        BFloat16.round(gradient, into: gradientBits, count: geometry.outputCount)
        Convolution.backwardDataBFloat16(geometry, gradientDestination: gradientBits, weights: weights, gradientSource: gradientSource)
        Convolution.backwardWeightsBFloat16(geometry, source: sourceBits, gradientDestination: gradientBits,
                                            gradientWeights: gradientWeights, gradientBias: nil)
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    func release() {
        for (pointer, count) in [(source, geometry.inputCount), (gradientSource, geometry.inputCount), (weights, geometry.weightCount),
                                 (gradientWeights, geometry.weightCount), (gradient, geometry.outputCount), (destination, geometry.outputCount)] {
            AlignedMemory.release(pointer, count: count)
        }
        sourceBits.deallocate()
        gradientBits.deallocate()
    }
}
