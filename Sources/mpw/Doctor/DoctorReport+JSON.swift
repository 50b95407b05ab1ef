import Foundation
import Kernels

extension DoctorReport {
    /// The `--json` object. Every key is always present (null when unknown) so scripts can rely on
    /// them; docs/doctor.md lists them.
    var jsonObject: [String: Any] {
        func value(_ optional: Any?) -> Any { optional ?? NSNull() }
        return [
            "summary": summary,
            "cpu": [
                "model": cpu.model, "vendor": value(cpu.vendor), "family": value(cpu.family), "model_number": value(cpu.modelNumber),
                "widest_isa": widestISA, "features": features,
                "logical_processors": cpu.logicalProcessors, "physical_cores": value(cpu.physicalCores),
            ] as [String: Any],
            "threads": ["available": availableThreads, "default": defaultThreads, "ranks_on_host": ranksOnHost],
            "kernels": ["variant": kernelVariant.rawValue, "available": kernelVariants.map(\.rawValue), "mpw_kernels": value(kernelsOverride)]
                as [String: Any],
            "build": ["mpw_version": MPWVersion.string, "target_cpu_native": targetCPUNative, "fused_multiply_add": fusedMultiplyAdd.rawValue, "optimized": optimized],
            "onednn": [
                "present": oneDNN != nil, "version": value(oneDNN?.version), "git_hash": value(oneDNN?.gitHash), "isa": value(oneDNN?.isa),
                "max_cpu_isa": value(oneDNNISALimit), "cpu_runtime": value(oneDNN?.cpuRuntime), "library": value(oneDNN?.library),
            ] as [String: Any],
            "openblas": [
                "present": openBLAS != nil, "config": value(openBLAS?.config), "core": value(openBLAS?.core),
                "threading": value(openBLAS?.threading), "suggested_coretype": value(openBLAS?.suggestedCoreType), "threads": value(openBLAS?.threads), "library": value(openBLAS?.library),
            ] as [String: Any],
            "openmp": [
                "present": openMP != nil, "max_threads": value(openMP?.maxThreads), "omp_num_threads": value(openMP?.environmentThreads),
                "library": value(openMP?.library),
            ] as [String: Any],
            "open_mpi": [
                "found": openMPI.found, "library": value(openMPILibrary), "version": value(openMPI.version), "mpirun": value(openMPI.mpirun),
                "problem": value(openMPI.problem),
            ] as [String: Any],
            "bf16_probe": [
                "status": probe.status, "reason": value(probe.reason), "geometry": probe.geometry,
                "fp32_ms": value(probe.fp32Milliseconds), "bf16_ms": value(probe.bf16Milliseconds), "speedup": value(probe.speedup),
                "bf16_slower": probe.bf16IsSlower && probe.speedup != nil, "rounds": probe.rounds, "threads": probe.threads,
                "fp32_kernel": value(probe.fp32Kernel), "bf16_kernel": value(probe.bf16Kernel), "recommendation": probe.recommendation,
            ] as [String: Any],
        ]
    }
}
