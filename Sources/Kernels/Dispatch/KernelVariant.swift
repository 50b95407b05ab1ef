import Foundation

/// Which build of the hot C kernels this process runs, chosen once from cpuid (MPW_KERNELS lowers it).
public enum KernelVariant: String, CaseIterable, Sendable {
    case avx512, avx2, portable

    /// The variant in use: `MPW_KERNELS` when it names one this CPU can run, else the widest available.
    public static var active: KernelVariant { chosen }

    /// The variants this CPU can run, widest first.
    public static var available: [KernelVariant] { runnable }

    private static let runnable: [KernelVariant] = {
        let flags = CPUInfo.current.flags
        var variants: [KernelVariant] = []
        if flags.contains("avx512f") { variants.append(.avx512) }
        if flags.contains("avx2") && flags.contains("fma") { variants.append(.avx2) }
        return variants + [.portable]
    }()

    private static let chosen: KernelVariant = {
        if let requested = ProcessInfo.processInfo.environment["MPW_KERNELS"].flatMap(KernelVariant.init(rawValue:)),
           runnable.contains(requested) {
            return requested
        }
        return runnable[0]
    }()
}
