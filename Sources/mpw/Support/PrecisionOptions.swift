import ArgumentParser
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
