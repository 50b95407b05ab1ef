#if canImport(CDNNL)
import CDNNL
#endif
#if canImport(COpenBLAS)
import COpenBLAS
#endif
#if canImport(COpenMP)
import COpenMP
#endif
import Foundation

/// What the native libraries we link report about themselves: versions, the code path each chose
/// for this CPU, their threading, and the file each was loaded from (Debian's alternatives pick
/// between OpenBLAS builds, so the path says which one runs).
public enum NativeLibraries {
    public struct OneDNN: Sendable {
        /// "2.6.3"
        public let version: String
        public let gitHash: String?
        /// The instruction set oneDNN's kernels use here, e.g. "avx512_core_bf16" (after DNNL_MAX_CPU_ISA).
        public let isa: String
        /// "omp", "seq", "tbb", "threadpool" or "unknown".
        public let cpuRuntime: String
        public let library: String?
    }

    public struct OpenBLAS: Sendable {
        /// openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
        public let config: String
        /// The kernel set chosen for this CPU, e.g. "SkylakeX" or "Haswell".
        public let core: String
        /// "openmp" (shares our pool), "pthreads" (a second pool) or "sequential".
        public let threading: String
        public let threads: Int
        public let library: String?

        /// The OPENBLAS_CORETYPE that would give this CPU's vector width when OpenBLAS picked an
        /// older core: 0.3.21 does not know recent Xeons (family 6 model 207) and falls back to
        /// SSE3 "Prescott" kernels. Nil when the choice already fits.
        public var suggestedCoreType: String? {
            let flags = CPUInfo.current.flags
            let chosen = core.lowercased()
            if flags.contains("avx512f") && flags.contains("avx512bw") && !Self.avx512Cores.contains(chosen) { return "SkylakeX" }
            if flags.contains("avx2") && flags.contains("fma") && !Self.avx2Cores.contains(chosen) { return "Haswell" }
            return nil
        }

        /// Whether OpenBLAS fell back to kernels without AVX2 on a CPU that has it (SSE3 "Prescott"
        /// on the Xeon: 8 against 146 GFLOP/s with SkylakeX at 512x512, one thread). `mpw` then
        /// relaunches itself with `suggestedCoreType`; a choice that already uses AVX2 (an AMD Zen
        /// with AVX-512 keeps "Zen") is left alone.
        public var fellBackBelowAVX2: Bool {
            suggestedCoreType != nil && !Self.avx2Cores.contains(core.lowercased())
        }

        static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
        static let avx2Cores = avx512Cores.union(["haswell", "zen"])
    }

    public struct OpenMP: Sendable {
        public let maxThreads: Int
        /// OMP_NUM_THREADS as the environment gave it, if set.
        public let environmentThreads: String?
        public let library: String?
    }

    public static var oneDNN: OneDNN? {
        #if canImport(CDNNL)
        let version = dnnl_version().pointee
        return OneDNN(version: "\(version.major).\(version.minor).\(version.patch)",
                      gitHash: version.hash.map { String(cString: $0) }.flatMap { $0.isEmpty || $0 == "N/A" ? nil : $0 },
                      isa: isaName(dnnl_get_effective_cpu_isa()), cpuRuntime: runtimeName(version.cpu_runtime),
                      library: LoadedLibraries.path(startingWith: "libdnnl.so"))
        #else
        return nil
        #endif
    }

    public static var openBLAS: OpenBLAS? {
        #if canImport(COpenBLAS)
        return OpenBLAS(config: openblas_get_config().map { String(cString: $0) }?.trimmingCharacters(in: .whitespaces) ?? "unknown",
                        core: openblas_get_corename().map { String(cString: $0) } ?? "unknown",
                        threading: Threads.blasThreading, threads: Int(openblas_get_num_threads()),
                        library: LoadedLibraries.path(startingWith: "libopenblas"))
        #else
        return nil
        #endif
    }

    public static var openMP: OpenMP? {
        #if canImport(COpenMP)
        return OpenMP(maxThreads: Int(omp_get_max_threads()), environmentThreads: ProcessInfo.processInfo.environment["OMP_NUM_THREADS"],
                      library: LoadedLibraries.path(startingWith: "libgomp.so"))
        #else
        return nil
        #endif
    }

    /// DNNL_MAX_CPU_ISA as set in the environment (oneDNN also reads ONEDNN_MAX_CPU_ISA).
    public static var oneDNNISALimit: String? {
        let environment = ProcessInfo.processInfo.environment
        return environment["ONEDNN_MAX_CPU_ISA"] ?? environment["DNNL_MAX_CPU_ISA"]
    }

    #if canImport(CDNNL)
    /// oneDNN 2.6's name for an ISA: the enum case without its `dnnl_cpu_isa_` prefix.
    static func isaName(_ isa: dnnl_cpu_isa_t) -> String {
        let names: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_all, "all"), (dnnl_cpu_isa_sse41, "sse41"), (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_avx2, "avx2"),
            (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"), (dnnl_cpu_isa_avx512_mic, "avx512_mic"), (dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"),
            (dnnl_cpu_isa_avx512_core, "avx512_core"), (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"),
            (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"), (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"),
        ]
        return names.first { $0.0 == isa }?.1 ?? "isa 0x\(String(isa.rawValue, radix: 16))"
    }

    static func runtimeName(_ runtime: UInt32) -> String {
        switch runtime {
        case 1: return "seq"
        case 2: return "omp"
        case 4: return "tbb"
        case 8: return "threadpool"
        default: return "unknown"
        }
    }
    #endif
}
