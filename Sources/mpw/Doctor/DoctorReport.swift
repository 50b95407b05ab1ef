import Distributed
import Foundation
import Kernels

/// Everything `mpw doctor` reports: the CPU, the libraries and the code paths they chose, our
/// kernel variant, how the binary was compiled, Open MPI, and the bf16 speed probe.
struct DoctorReport {
    let cpu: CPUInfo
    let availableThreads: Int
    let defaultThreads: Int
    let ranksOnHost: Int
    let kernelVariant: KernelVariant
    let kernelVariants: [KernelVariant]
    let kernelsOverride: String?
    let fusedMultiplyAdd: CompiledTarget.FusedMultiplyAdd
    let optimized: Bool
    let oneDNN: NativeLibraries.OneDNN?
    let oneDNNISALimit: String?
    let openBLAS: NativeLibraries.OpenBLAS?
    let openMP: NativeLibraries.OpenMP?
    let openMPI: OpenMPIInstallation
    /// The libmpi file mapped after `OpenMPIInstallation.detect()` loaded it.
    let openMPILibrary: String?
    let probe: BFloat16SpeedProbe

    /// The x86 features that decide which code runs, under their /proc/cpuinfo names ("amx" is amx_bf16).
    static let featureNames = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx"]

    /// Collects the report, running the bf16 probe for `probeSeconds` on the current thread count.
    static func collect(probeSeconds: Double) -> DoctorReport {
        let environment = ProcessInfo.processInfo.environment
        let openMPI = OpenMPIInstallation.detect()
        return DoctorReport(cpu: .current, availableThreads: Threads.available, defaultThreads: DistributedOptions.defaultThreads,
                            ranksOnHost: LaunchEnvironment.ranksOnThisHost, kernelVariant: .active, kernelVariants: KernelVariant.available,
                            kernelsOverride: environment["MPW_KERNELS"], fusedMultiplyAdd: CompiledTarget.fusedMultiplyAdd,
                            optimized: CompiledTarget.optimized, oneDNN: NativeLibraries.oneDNN, oneDNNISALimit: NativeLibraries.oneDNNISALimit,
                            openBLAS: NativeLibraries.openBLAS, openMP: NativeLibraries.openMP, openMPI: openMPI,
                            openMPILibrary: LoadedLibraries.path(startingWith: "libmpi.so"),
                            probe: .run(seconds: probeSeconds))
    }

    var features: [String: Bool] {
        Dictionary(uniqueKeysWithValues: Self.featureNames.map { ($0, cpu.flags.contains($0 == "amx" ? "amx_bf16" : $0)) })
    }

    /// The widest vector instruction set the CPU offers: "avx512", "avx2", "avx", "sse4_2", "neon" or "baseline".
    var widestISA: String {
        let flags = cpu.flags
        if flags.contains("avx512f") { return "avx512" }
        if flags.contains("avx2") { return "avx2" }
        if flags.contains("avx") { return "avx" }
        if flags.contains("sse4_2") { return "sse4_2" }
        if flags.contains("asimd") || flags.contains("neon") { return "neon" }
        #if arch(arm64)
        return "neon"
        #else
        return "baseline"
        #endif
    }

    /// True when the build targeted this CPU (-target-cpu native or an equivalent), not the architecture's baseline.
    var targetCPUNative: Bool { fusedMultiplyAdd == .inline || fusedMultiplyAdd == .baseline }

    /// The one line other documents quote: CPU, widest ISA, our kernel variant, oneDNN's ISA, native build or not.
    var summary: String {
        var isa = widestISA
        if isa == "avx512" {
            let extras = [("avx512_bf16", "bf16"), ("avx512_fp16", "fp16"), ("amx", "amx")]
            let has = extras.filter { features[$0.0] == true }.map { "+" + $0.1 }
            isa += " (" + (has + (features["amx"] == true ? [] : ["no amx"])).joined(separator: " ") + ")"
        }
        let model = cpu.family.flatMap { family in cpu.modelNumber.map { "\(cpu.model) (family \(family) model \($0))" } } ?? cpu.model
        let native = targetCPUNative ? "native build" : "not native (no -target-cpu native)"
        return "\(model) | \(isa) | kernels \(kernelVariant.rawValue) | oneDNN \(oneDNN?.isa ?? "absent") | \(native)"
    }
}
