import ArgumentParser
import Foundation
import Kernels

/// `--precision fp32|bf16` for the commands that run a network.
struct PrecisionOptions: ParsableArguments {
    @Option(help: "Convolutions and linear layers in fp32 (default) or bf16: bfloat16 operands with float32 accumulation, as PyTorch's CPU autocast; weights, gradients, optimizer, BatchNorm and loss stay float32. bf16 needs a CPU with AVX512_BF16.")
    var precision: String?

    func validate() throws {
        if let precision, Precision(rawValue: precision) == nil {
            throw ValidationError("--precision must be one of \(Precision.allCases.map(\.rawValue).joined(separator: ", ")), got \(precision)")
        }
    }

    /// The precision asked for (nil when the flag is absent); throws when this CPU cannot run it.
    func resolved() throws -> Precision? {
        guard let precision = precision.flatMap(Precision.init(rawValue:)) else { return nil }
        try precision.requireSupport()
        return precision
    }
}

extension PrecisionOptions {
    /// Seconds of the bf16 probe at the start of a bf16 run: enough for a few dozen steps of the
    /// probe convolution once its primitives exist, short next to any training or evaluation.
    static let warningProbeSeconds = 0.3

    /// Prints one line to standard error when bf16 convolutions run slower than fp32 on this CPU;
    /// the run continues in bf16. No cpuid rule predicts it (see `BFloat16SpeedProbe`), so a short
    /// probe measures it, on the thread count already set.
    static func warnIfBFloat16IsSlower(_ precision: Precision?) {
        guard precision == .bf16 else { return }
        let probe = BFloat16SpeedProbe.run(seconds: warningProbeSeconds)
        guard let speedup = probe.speedup, probe.bf16IsSlower else { return }
        let message = "mpw: bf16 convolutions run at \(String(format: "%.2f", speedup))x fp32's speed on this CPU (a \(warningProbeSeconds) s probe; see `mpw doctor`): --precision fp32 would be faster; continuing in bf16\n"
        FileHandle.standardError.write(Data(message.utf8))
    }
}
