import Foundation

/// An exclusive `flock` on a run directory, held for the whole run, so that two processes never
/// train into the same directory. The kernel drops it when the process ends, however it ends.
public final class RunLock {
    private let descriptor: Int32

    /// Takes the lock or throws at once, naming the directory, when another process holds it.
    public init(_ directory: RunDirectory) throws {
        let path = directory.url.path
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError("\(path): cannot open the run directory to lock it (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another mpw process is training in it (the directory is locked)" : String(cString: strerror(errno))
            close(descriptor)
            throw ConfigurationError("\(path): \(reason); wait for it to finish or choose another --out")
        }
    }

    deinit { close(descriptor) }
}

extension RunDirectory {
    /// Removes temporary files that an atomic write left behind when its process was killed
    /// (`.last.safetensors.tmp-PID` and the like). Call it holding the run's lock, so that no
    /// write is in progress.
    public func removeLeftoverTemporaryFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where Self.isTemporaryFile(name) {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
    }

    /// `.NAME.tmp-PID`, the names `AtomicFile` writes to before renaming.
    static func isTemporaryFile(_ name: String) -> Bool {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return false }
        let pid = name[marker.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isNumber) && marker.lowerBound > name.index(after: name.startIndex)
    }
}
