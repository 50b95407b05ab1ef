import Foundation
import Synchronization

/// The bytes `AlignedMemory` has handed out and not taken back (every tensor's storage), and the
/// most at once, so that a training step's memory can be measured on a small batch and
/// extrapolated before a large one is tried (`mpw train`'s batch check).
public enum MemoryUse {
    private static let live = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    @inline(__always)
    static func allocated(_ bytes: Int) {
        let now = live.add(bytes, ordering: .relaxed).newValue
        var highest = peak.load(ordering: .relaxed)
        while now > highest {
            let (exchanged, original) = peak.compareExchange(expected: highest, desired: now, ordering: .relaxed)
            if exchanged { break }
            highest = original
        }
    }

    @inline(__always)
    static func released(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }

    /// Bytes in use now.
    public static var bytesInUse: Int { live.load(ordering: .relaxed) }

    /// Runs `body` and returns the most bytes in use at once while it ran, above those in use
    /// when it started. Measurements on several threads at once see each other's allocations.
    public static func peakIncrease<R>(during body: () throws -> R) rethrows -> (result: R, bytes: Int) {
        let start = live.load(ordering: .relaxed)
        peak.store(start, ordering: .relaxed)
        let result = try body()
        return (result, max(0, peak.load(ordering: .relaxed) - start))
    }

    /// The memory the system can still give this process without swapping: Linux's
    /// MemAvailable, or (elsewhere, or when it cannot be read) the physical memory.
    public static var availableBytes: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? pages * pageSize : Int.max
    }
}

/// What `AlignedMemory` does when the system refuses an allocation: one line on standard error
/// naming the size, and the setting that asked for it when the command has named one
/// (`context`, e.g. "--batch 4096"), then exit status 1, instead of a crash with a stack trace.
public enum AllocationFailure {
    private static let setting = Mutex<String?>(nil)

    /// The flag and value behind the largest allocations of this process, for the message.
    public static var context: String? {
        get { setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    public static func message(bytes: Int) -> String {
        let size = String(format: "%.2f GiB", Double(bytes) / Double(1 << 30))
        let cause = context.map { "; \($0) asks for more memory than this machine has, try a smaller value" } ?? ""
        return "mpw: out of memory: cannot allocate \(bytes) bytes (\(size))\(cause)"
    }

    static func terminate(bytes: Int) -> Never {
        FileHandle.standardError.write(Data((message(bytes: bytes) + "\n").utf8))
        exit(1)
    }
}
