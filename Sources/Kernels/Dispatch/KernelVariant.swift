import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which build of the hot C kernels this process runs, chosen once from cpuid (MPW_KERNELS lowers it).
///
/// The C target `CKernels` holds each kernel built for AVX-512, for AVX2+FMA and for the
/// compiler's baseline, so a build without `-target-cpu native` still runs the widest code the
/// CPU has. `MPW_KERNELS=avx512|avx2|portable` asks for a narrower build (to test or compare
/// them); a name that is unknown, or a build this CPU cannot run, prints one warning line and
/// the widest available build runs instead.
public enum KernelVariant: String, CaseIterable, Sendable {
    case avx512, avx2, portable

    /// The variant in use.
    public static let active: KernelVariant = chosen(request: getenv("MPW_KERNELS").map { String(cString: $0) })

    /// Every variant this CPU can run, widest first.
    public static var available: [KernelVariant] { allCases.filter(\.isSupported) }

    /// True when this CPU and its operating system can run the variant.
    public var isSupported: Bool { mpw_kernels_supported(index) != 0 && mpw_kernels_table(index) != nil }

    var index: Int32 {
        switch self {
        case .avx512: Int32(MPW_KERNELS_AVX512)
        case .avx2: Int32(MPW_KERNELS_AVX2)
        case .portable: Int32(MPW_KERNELS_PORTABLE)
        }
    }

    /// The widest available variant, or the one `request` names when this CPU can run it.
    static func chosen(request: String?) -> KernelVariant {
        let widest = available.first ?? .portable
        guard let request, !request.isEmpty else { return widest }
        guard let asked = KernelVariant(rawValue: request.lowercased()) else {
            warn("mpw: MPW_KERNELS=\(request) is not one of \(allCases.map(\.rawValue).joined(separator: ", ")); using \(widest.rawValue)")
            return widest
        }
        guard asked.isSupported else {
            warn("mpw: MPW_KERNELS=\(request) needs an instruction set this CPU lacks; using \(widest.rawValue)")
            return widest
        }
        return asked
    }

    private static func warn(_ line: String) {
        let text = Array((line + "\n").utf8)
        _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
