import Foundation

/// The shared libraries mapped into this process, as /proc/self/maps lists them (Linux). Their
/// file names carry the versions, and Debian's alternatives decide which OpenBLAS build is mapped.
public enum LoadedLibraries {
    /// The path of the first mapped file whose name starts with `prefix` (e.g. "libdnnl.so"), or nil.
    public static func path(startingWith prefix: String) -> String? {
        #if os(Linux)
        guard let maps = ProcFile.read("/proc/self/maps") else { return nil }
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            if URL(fileURLWithPath: path).lastPathComponent.hasPrefix(prefix) { return path }
        }
        return nil
        #else
        return nil
        #endif
    }
}
