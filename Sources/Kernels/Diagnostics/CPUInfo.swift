import Foundation

/// The CPU as the operating system describes it: model, x86 feature flags and core counts, read
/// from /proc/cpuinfo on Linux (sysctl on macOS). Used by `mpw doctor` and the kernel dispatch.
public struct CPUInfo: Sendable {
    /// The marketing name, e.g. "Intel(R) Xeon(R) Processor"; "unknown" when the OS does not say.
    public let model: String
    /// "GenuineIntel", "AuthenticAMD", ...; nil off x86 Linux.
    public let vendor: String?
    /// x86 family and model numbers (family 6 model 207 is Sapphire Rapids); nil when unknown.
    public let family: Int?
    public let modelNumber: Int?
    /// The kernel's feature flag names ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", ...).
    public let flags: Set<String>
    /// Logical processors online, and distinct physical cores among them (nil when not reported).
    public let logicalProcessors: Int
    public let physicalCores: Int?

    public static let current = CPUInfo()

    init() {
        logicalProcessors = ProcessInfo.processInfo.processorCount
        #if os(Linux)
        let text = ProcFile.read("/proc/cpuinfo") ?? ""
        var first: [String: String] = [:]
        var cores = Set<String>()
        var physical = "0"
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if first[key] == nil { first[key] = value }
            if key == "physical id" { physical = value }
            if key == "core id" { cores.insert("\(physical)/\(value)") }
        }
        model = first["model name"] ?? first["Model"] ?? "unknown"
        vendor = first["vendor_id"]
        family = first["cpu family"].flatMap { Int($0) }
        modelNumber = first["model"].flatMap { Int($0) }
        flags = Set((first["flags"] ?? "").split(separator: " ").map(String.init))
        physicalCores = cores.isEmpty ? nil : cores.count
        #else
        model = Self.sysctlString("machdep.cpu.brand_string") ?? "unknown"
        vendor = Self.sysctlString("machdep.cpu.vendor")
        family = nil
        modelNumber = nil
        flags = Set((Self.sysctlString("machdep.cpu.features") ?? "").lowercased().split(separator: " ").map(String.init))
        physicalCores = nil
        #endif
    }

    #if !os(Linux)
    private static func sysctlString(_ name: String) -> String? {
        var size = 0
        guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
        return String(cString: bytes)
    }
    #endif
}
