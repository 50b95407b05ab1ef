/// The arithmetic precision of convolutions and linear layers (see `Autocast`).
///
/// `.bf16` follows PyTorch's CPU autocast: those ops read bfloat16 copies of their inputs and
/// weights and accumulate in float32; weights, their gradients, the optimizer, normalisation,
/// losses and everything else stay float32.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case fp32
    case bf16

    /// Why this CPU cannot run the precision natively, or nil when it can.
    public var unsupportedReason: String? {
        switch self {
        case .fp32: return nil
        case .bf16: return CPUFeatures.nativeBFloat16 ? nil : CPUFeatures.missingBFloat16Feature
        }
    }

    /// Throws when this CPU has no native support: bf16 is never emulated silently.
    public func requireSupport() throws {
        if let reason = unsupportedReason { throw PrecisionUnsupported(precision: self, reason: reason) }
    }
}

/// `--precision bf16` on a CPU without the instructions for it.
public struct PrecisionUnsupported: Error, CustomStringConvertible {
    public let precision: Precision
    public let reason: String
    public var description: String { "--precision \(precision.rawValue) needs \(reason)" }
}
