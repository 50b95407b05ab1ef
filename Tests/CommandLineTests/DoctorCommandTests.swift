import Foundation
@testable import Kernels
import Testing
import TestSupport

/// `mpw doctor` run as a user runs it: the JSON keys and types docs/doctor.md promises, values
/// checked against /proc/cpuinfo, the bf16 probe's fallback when oneDNN is capped to AVX2, and the
/// summary line.
@Suite struct DoctorCommandTests {
    /// The keys of each section, exactly as docs/doctor.md lists them.
    static let sections: [String: Set<String>] = [
        "cpu": ["model", "vendor", "family", "model_number", "widest_isa", "features", "logical_processors", "physical_cores"],
        "threads": ["available", "default", "ranks_on_host"],
        "kernels": ["variant", "available", "mpw_kernels"],
        "build": ["mpw_version", "target_cpu_native", "fused_multiply_add", "optimized"],
        "onednn": ["present", "version", "git_hash", "isa", "max_cpu_isa", "cpu_runtime", "library"],
        "openblas": ["present", "config", "core", "threading", "suggested_coretype", "threads", "library"],
        "openmp": ["present", "max_threads", "omp_num_threads", "library"],
        "open_mpi": ["found", "library", "version", "mpirun", "problem"],
        "bf16_probe": ["status", "reason", "geometry", "fp32_ms", "bf16_ms", "speedup", "bf16_slower", "rounds", "threads",
                       "fp32_kernel", "bf16_kernel", "recommendation"],
    ]
    static let features = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx"]

    /// /proc/cpuinfo read here independently of the code under test.
    struct CPUInfoFile {
        var first: [String: String] = [:]
        var processors = 0
        var flags: Set<String> { Set((first["flags"] ?? "").split(separator: " ").map(String.init)) }

        init() {
            let data = FileHandle(forReadingAtPath: "/proc/cpuinfo")?.readDataToEndOfFile() ?? Data()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                if first[parts[0]] == nil { first[parts[0]] = parts[1] }
                if parts[0] == "processor" { processors += 1 }
            }
        }
    }

    static let onLinuxX86: Bool = {
        #if os(Linux) && arch(x86_64)
        return true
        #else
        return false
        #endif
    }()

    static func doctor(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpw)
        process.arguments = ["doctor", "--probe-seconds", "0.2"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func doctorJSON(environment: [String: String] = [:]) throws -> [String: Any] {
        let (status, output) = try doctor(["--json"], environment: environment)
        #expect(status == 0)
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// The mpw this suite runs (see `BuiltProducts.mpw`).
    static let mpw: String = BuiltProducts.mpw ?? "mpw"

    /// The ISA oneDNN 2.6 picks for these cpuinfo flags (its cpu_isa_traits order, widest first).
    static func expectedOneDNNISA(_ flags: Set<String>) -> String {
        let avx512Core = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        if avx512Core && ["amx_tile", "amx_int8", "amx_bf16"].allSatisfy(flags.contains) { return "avx512_core_amx" }
        if avx512Core && flags.contains("avx512_bf16") { return "avx512_core_bf16" }
        if avx512Core && flags.contains("avx512_vnni") { return "avx512_core_vnni" }
        if avx512Core { return "avx512_core" }
        if flags.contains("avx2") && flags.contains("avx_vnni") { return "avx2_vnni" }
        if flags.contains("avx2") { return "avx2" }
        return flags.contains("avx") ? "avx" : "sse41"
    }

    @Test(.enabled(if: onLinuxX86, "reads /proc/cpuinfo and oneDNN's x86 ISA names"))
    func jsonHasEveryDocumentedKeyWithValuesMatchingTheCPU() throws {
        let report = try Self.doctorJSON()
        #expect(Set(report.keys) == Set(Self.sections.keys).union(["summary"]))
        for (section, keys) in Self.sections {
            let object = try #require(report[section] as? [String: Any], "\(section)")
            #expect(Set(object.keys) == keys, "\(section)")
        }
        let cpuinfo = CPUInfoFile()
        let flags = cpuinfo.flags
        let cpu = report["cpu"] as! [String: Any]
        #expect(cpu["model"] as? String == cpuinfo.first["model name"])
        #expect(cpu["vendor"] as? String == cpuinfo.first["vendor_id"])
        #expect(cpu["family"] as? Int == Int(cpuinfo.first["cpu family"] ?? ""))
        #expect(cpu["model_number"] as? Int == Int(cpuinfo.first["model"] ?? ""))
        #expect(cpu["logical_processors"] as? Int == cpuinfo.processors)
        let physical = try #require(cpu["physical_cores"] as? Int)
        #expect(physical >= 1 && physical <= cpuinfo.processors)
        let features = try #require(cpu["features"] as? [String: Bool])
        #expect(Set(features.keys) == Set(Self.features))
        for name in Self.features { #expect(features[name] == flags.contains(name == "amx" ? "amx_bf16" : name), "\(name)") }
        #expect(cpu["widest_isa"] as? String == (flags.contains("avx512f") ? "avx512" : flags.contains("avx2") ? "avx2" : "avx"))

        let threads = report["threads"] as! [String: Any]
        let available = try #require(threads["available"] as? Int)
        #expect(available >= 1 && available <= cpuinfo.processors)
        #expect(threads["default"] as? Int == available / (threads["ranks_on_host"] as? Int ?? 0))

        let kernels = report["kernels"] as! [String: Any]
        let variants = try #require(kernels["available"] as? [String])
        let expectedVariants = (flags.contains("avx512f") ? ["avx512"] : []) + (flags.contains("avx2") && flags.contains("fma") ? ["avx2"] : []) + ["portable"]
        #expect(variants == expectedVariants)
        let variant = try #require(kernels["variant"] as? String)
        #expect(ProcessInfo.processInfo.environment["MPW_KERNELS"] != nil || variant == variants[0])
        #expect(kernels["mpw_kernels"] is NSNull || kernels["mpw_kernels"] is String)

        let build = report["build"] as! [String: Any]
        #expect(build["mpw_version"] as? String == MPWVersion.string)
        let fma = try #require(build["fused_multiply_add"] as? String)
        #expect(["inline", "library-call", "baseline", "unknown"].contains(fma))
        #expect(build["target_cpu_native"] as? Bool == (fma == "inline" || fma == "baseline"))
        #expect(build["optimized"] is Bool)

        let oneDNN = report["onednn"] as! [String: Any]
        #expect(oneDNN["present"] as? Bool == true)
        let version = try #require(oneDNN["version"] as? String)
        #expect(version.split(separator: ".").count == 3 && version.split(separator: ".").allSatisfy { Int($0) != nil })
        #expect(oneDNN["cpu_runtime"] as? String == "omp")
        #expect((oneDNN["library"] as? String)?.contains("libdnnl.so") == true)
        if ProcessInfo.processInfo.environment["DNNL_MAX_CPU_ISA"] == nil && ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"] == nil {
            #expect(oneDNN["isa"] as? String == Self.expectedOneDNNISA(flags))
            #expect(oneDNN["max_cpu_isa"] is NSNull)
        }

        let openBLAS = report["openblas"] as! [String: Any]
        let core = try #require(openBLAS["core"] as? String)
        #expect((openBLAS["config"] as? String)?.hasPrefix("OpenBLAS ") == true && (openBLAS["config"] as? String)?.contains(core) == true)
        #expect(["openmp", "pthreads", "sequential"].contains(openBLAS["threading"] as? String ?? ""))
        #expect(openBLAS["threads"] as? Int == threads["default"] as? Int)
        #expect((openBLAS["library"] as? String)?.contains("libopenblas") == true)
        #expect(openBLAS["suggested_coretype"] is NSNull || openBLAS["suggested_coretype"] is String)

        let openMP = report["openmp"] as! [String: Any]
        #expect(openMP["max_threads"] as? Int == threads["default"] as? Int)
        #expect((openMP["library"] as? String)?.contains("libgomp") == true)

        let mpi = report["open_mpi"] as! [String: Any]
        let loadable = dlopen("libmpi.so.40", RTLD_LAZY) != nil || dlopen("libmpi.so", RTLD_LAZY) != nil
        #expect(mpi["found"] as? Bool == loadable)
        if loadable {
            #expect((mpi["version"] as? String)?.hasPrefix("Open MPI v") == true)
            #expect((mpi["library"] as? String)?.contains("libmpi.so") == true)
        }

        let probe = report["bf16_probe"] as! [String: Any]
        // Native bf16 as oneDNN sees it (checked against the flags above unless DNNL_MAX_CPU_ISA caps it).
        let native = ["avx512_core_bf16", "avx512_core_amx"].contains(oneDNN["isa"] as? String ?? "")
        #expect(probe["status"] as? String == (native ? "measured" : "unavailable"))
        #expect((probe["geometry"] as? String)?.hasPrefix("conv 64") == true)
        let recommendation = try #require(probe["recommendation"] as? String)
        if native {
            let fp32 = try #require(probe["fp32_ms"] as? Double), bf16 = try #require(probe["bf16_ms"] as? Double)
            let speedup = try #require(probe["speedup"] as? Double)
            #expect(fp32 > 0 && bf16 > 0 && abs(speedup - fp32 / bf16) <= 1e-9 * speedup)
            #expect(probe["bf16_slower"] as? Bool == (speedup < 0.95))
            #expect(recommendation.contains(speedup < 0.95 ? "keep fp32" : speedup > 1.05 ? "use --precision bf16" : "fp32's speed"))
            #expect((probe["rounds"] as? Int ?? 0) >= 3)
            #expect((probe["bf16_kernel"] as? String)?.contains("bf16") == true)
            #expect(probe["reason"] is NSNull)
        } else {
            #expect(probe["speedup"] is NSNull && probe["fp32_ms"] is NSNull && probe["bf16_ms"] is NSNull)
            #expect(recommendation.hasPrefix("no bf16 convolution on this CPU"))
        }
    }

    /// With oneDNN capped to AVX2 it has no bf16 convolution: the probe says so and doctor succeeds.
    @Test(.enabled(if: onLinuxX86 && CPUInfoFile().flags.contains("avx2"), "needs an x86 CPU with AVX2"))
    func probeFallsBackWhenOneDNNIsCappedToAVX2() throws {
        let report = try Self.doctorJSON(environment: ["DNNL_MAX_CPU_ISA": "AVX2"])
        let oneDNN = try #require(report["onednn"] as? [String: Any])
        #expect(oneDNN["isa"] as? String == "avx2")
        #expect(oneDNN["max_cpu_isa"] as? String == "AVX2")
        let probe = try #require(report["bf16_probe"] as? [String: Any])
        #expect(probe["status"] as? String == "unavailable")
        #expect(probe["speedup"] is NSNull && probe["bf16_slower"] as? Bool == false && probe["rounds"] as? Int == 0)
        #expect((probe["reason"] as? String)?.contains("AVX512_BF16") == true)
        #expect((probe["recommendation"] as? String)?.hasPrefix("no bf16 convolution on this CPU") == true)
        #expect((report["summary"] as? String)?.contains("| oneDNN avx2 |") == true)

        let (status, text) = try Self.doctor([], environment: ["DNNL_MAX_CPU_ISA": "AVX2"])
        #expect(status == 0)
        #expect(text.contains("no bf16 convolution on this CPU"))
    }

    /// One version string: `mpw --version` prints it, the doctor report names it.
    @Test func versionIsTheSameEverywhere() throws {
        let version = try MPWProcess.run(["--version"])
        #expect(version.status == 0 && version.output == MPWVersion.string + "\n")
        let (status, text) = try Self.doctor([])
        #expect(status == 0 && text.contains("mpw \(MPWVersion.string), "))
    }

    /// The first line of the human report is the summary line, and it names what it claims to.
    @Test(.enabled(if: onLinuxX86, "reads /proc/cpuinfo"))
    func humanReportStartsWithTheSummaryLine() throws {
        let report = try Self.doctorJSON()
        let (status, text) = try Self.doctor([])
        #expect(status == 0)
        let first = try #require(text.split(separator: "\n").first.map(String.init))
        #expect(first == report["summary"] as? String)
        let cpu = report["cpu"] as! [String: Any], kernels = report["kernels"] as! [String: Any], oneDNN = report["onednn"] as! [String: Any]
        let fields = first.components(separatedBy: " | ")
        #expect(fields.count == 5)
        #expect(fields[0].hasPrefix(CPUInfoFile().first["model name"] ?? "?"))
        #expect(fields[1].hasPrefix(cpu["widest_isa"] as! String))
        #expect(fields[2] == "kernels \(kernels["variant"] as! String)")
        #expect(fields[3] == "oneDNN \(oneDNN["isa"] as! String)")
        #expect(fields[4] == ((report["build"] as! [String: Any])["target_cpu_native"] as! Bool ? "native build" : "not native (no -target-cpu native)"))
        #expect(text.split(separator: "\n").count >= 11)
    }

    /// The machine-code check agrees with objdump's disassembly of the same function in the built mpw.
    @Test(.enabled(if: onLinuxX86 && FileManager.default.isExecutableFile(atPath: "/usr/bin/objdump"), "needs binutils on x86"))
    func fusedMultiplyAddCheckAgreesWithObjdump() throws {
        let report = try Self.doctorJSON()
        let reported = (report["build"] as! [String: Any])["fused_multiply_add"] as? String
        let symbols = try Self.run("/usr/bin/nm", [Self.mpw])
        let line = try #require(symbols.split(separator: "\n").first { $0.contains("CompiledTargetO10fusedProbe") && $0.hasSuffix("To") })
        let start = try #require(UInt64(line.split(separator: " ")[0], radix: 16))
        let disassembly = try Self.run("/usr/bin/objdump", ["-d", "--start-address=0x\(String(start, radix: 16))",
                                                            "--stop-address=0x\(String(start + 24, radix: 16))", Self.mpw])
        let expected = disassembly.contains("vfmadd") ? "inline" : disassembly.contains("fmaf") ? "library-call" : "unknown"
        #expect(reported == expected, "\(disassembly)")
    }

    /// The classifier on the two encodings swiftc -O emits for the probe, and an EVEX one.
    @Test func classifierReadsTheProbeEncodings() {
        func classify(_ bytes: [UInt8]) -> CompiledTarget.FusedMultiplyAdd {
            (bytes + Array(repeating: 0x90, count: 24)).withUnsafeBytes { CompiledTarget.classify($0) }
        }
        // push rbp; mov rbp, rsp; vfmadd231ss xmm0, xmm2, xmm1; pop rbp; ret
        #expect(classify([0x55, 0x48, 0x89, 0xE5, 0xC4, 0xE2, 0x69, 0xB9, 0xC1, 0x5D, 0xC3]) == .inline)
        // vfmadd231ss xmm16, xmm17, xmm18 (EVEX)
        #expect(classify([0x62, 0xA2, 0x75, 0x00, 0xB9, 0xC2, 0xC3]) == .inline)
        // movaps xmm3, xmm0; movaps xmm0, xmm1; movaps xmm1, xmm2; movaps xmm2, xmm3; jmp fmaf
        #expect(classify([0x0F, 0x28, 0xD8, 0x0F, 0x28, 0xC1, 0x0F, 0x28, 0xCA, 0x0F, 0x28, 0xD3, 0xE9, 0x1F, 0xFC, 0xFF, 0xFF]) == .libraryCall)
        #expect(classify([0x0F, 0x28, 0xC1, 0xC3]) == .unknown)
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
