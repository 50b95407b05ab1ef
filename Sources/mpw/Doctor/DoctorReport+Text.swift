import Foundation
import Kernels

extension DoctorReport {
    /// The human report: the summary line, then one labelled line per component.
    var lines: [String] {
        func yes(_ flag: Bool) -> String { flag ? "yes" : "no" }
        let featureLabels = ["avx2": "AVX2", "fma": "FMA", "avx512f": "AVX-512F", "avx512_bf16": "AVX512_BF16", "avx512_fp16": "AVX512_FP16",
                             "amx": "AMX"]
        var rows: [(String, String)] = []
        var identity = [cpu.vendor, cpu.family.map { "family \($0)" }, cpu.modelNumber.map { "model \($0)" }].compactMap { $0 }.joined(separator: ", ")
        if !identity.isEmpty { identity = " (\(identity))" }
        rows.append(("CPU", cpu.model + identity))
        rows.append(("features", Self.featureNames.map { "\(featureLabels[$0]!) \(yes(features[$0] == true))" }.joined(separator: "  ")))
        let cores = cpu.physicalCores.map { ", \($0) physical cores" } ?? ""
        let ranks = ranksOnHost > 1 ? " (\(availableThreads) shared by \(ranksOnHost) ranks on this host)" : ""
        rows.append(("threads", "\(cpu.logicalProcessors) logical processors\(cores), \(availableThreads) available to this process; --threads defaults to \(defaultThreads)\(ranks)"))
        rows.append(("kernels", "\(kernelVariant.rawValue) (this CPU runs: \(kernelVariants.map(\.rawValue).joined(separator: ", "))"
                     + (kernelsOverride.map { "; MPW_KERNELS=\($0)" } ?? "; MPW_KERNELS lowers it") + ")"))
        let fma: String
        switch fusedMultiplyAdd {
        case .inline: fma = "built for this CPU's instructions (-target-cpu native): fused multiply-add inline"
        case .baseline: fma = "fused multiply-add is in this architecture's baseline: no flag needed"
        case .libraryCall: fma = "not built with -target-cpu native: the C kernels still run this CPU's widest variant, the other Swift loops baseline vectors (docs/dependency-speed.md; scripts/build for full speed)"
        case .unknown: fma = "could not tell whether -target-cpu native was used (unrecognised machine code)"
        }
        rows.append(("build", "mpw \(MPWVersion.string), " + (optimized ? "release, " : "DEBUG (unoptimised), ") + fma))
        if let oneDNN {
            let limit = oneDNNISALimit.map { " (DNNL_MAX_CPU_ISA=\($0))" } ?? ""
            rows.append(("oneDNN", "\(oneDNN.version)\(oneDNN.gitHash.map { " (\($0.prefix(12)))" } ?? ""), ISA \(oneDNN.isa)\(limit), runtime \(oneDNN.cpuRuntime), \(oneDNN.library ?? "library path unknown")"))
        } else {
            rows.append(("oneDNN", "not in this build (convolutions use the portable im2col + sgemm engine)"))
        }
        if let openBLAS {
            rows.append(("OpenBLAS", "\(openBLAS.config); core \(openBLAS.core), \(openBLAS.threading) threading, \(counted(openBLAS.threads, "thread")), \(openBLAS.library ?? "library path unknown")"))
            if let suggestion = openBLAS.suggestedCoreType {
                rows.append(("", "OpenBLAS chose \(openBLAS.core) kernels, older than this CPU: export OPENBLAS_CORETYPE=\(suggestion) for its full sgemm speed"))
            }
        } else {
            rows.append(("BLAS", "Accelerate"))
        }
        if let openMP {
            rows.append(("OpenMP", "max threads \(openMP.maxThreads)\(openMP.environmentThreads.map { " (OMP_NUM_THREADS=\($0))" } ?? ""), \(openMP.library ?? "library path unknown")"))
        }
        if openMPI.found {
            rows.append(("Open MPI", "found: \(openMPI.version ?? "version unknown"), \(openMPILibrary ?? "library path unknown"); mpirun \(openMPI.mpirun ?? "not on the PATH")"))
        } else {
            rows.append(("Open MPI", "not found (\(openMPI.problem ?? "unknown")): one process only; install libopenmpi-dev openmpi-bin for data parallelism"))
        }
        if let fp32 = probe.fp32Milliseconds, let bf16 = probe.bf16Milliseconds {
            rows.append(("bf16 probe", "\(probe.geometry), \(counted(probe.threads, "thread")), forward + both backward passes: fp32 \(String(format: "%.2f", fp32)) ms (\(probe.fp32Kernel ?? "?")), bf16 \(String(format: "%.2f", bf16)) ms (\(probe.bf16Kernel ?? "?")), medians of \(probe.rounds)"))
        }
        rows.append((probe.speedup == nil ? "bf16 probe" : "", probe.recommendation))
        let width = rows.map(\.0.count).max() ?? 0
        return [summary] + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
    }
}
