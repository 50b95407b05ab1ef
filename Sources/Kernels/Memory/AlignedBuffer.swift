#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// 64-byte aligned float allocations (whole cache lines; aligned AVX-512 and oneDNN access),
/// with a cache of large blocks.
///
/// A training step allocates the same large activation and gradient buffers every iteration.
/// Fresh large blocks come from `mmap` and pay a page fault per 4 KB on first touch, which costs
/// as much as the arithmetic of an elementwise op, so freed large blocks are kept for reuse,
/// keyed by their rounded size, up to `cacheLimit` bytes in all. The limit is half the physical
/// memory: big networks (PyramidNet-200 keeps 16 GB of activations at batch 64) otherwise spend
/// a quarter of each step zeroing fresh pages.
public enum AlignedMemory {
    public static let alignment = 64
    /// Blocks below this size go straight to malloc, which recycles them well.
    static let largeBlock = 256 << 10
    /// Large sizes are rounded up to this granule so slightly different sizes share blocks.
    static let granule = 64 << 10
    public static let cacheLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? pages * pageSize / 2 : 2 << 30
    }()

    /// Cached blocks by rounded size, as addresses (plain integers cross the lock freely).
    private struct Cache: ~Copyable {
        var blocks: [Int: [UInt]] = [:]
        var cachedBytes = 0
    }

    private static let cache = Mutex(Cache())

    public static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = roundedSize(max(1, count) * MemoryLayout<Float>.stride)
        if bytes >= largeBlock, let address = cache.withLock({ cache -> UInt? in
            guard let address = cache.blocks[bytes]?.popLast() else { return nil }
            cache.cachedBytes -= bytes
            return address
        }), let block = UnsafeMutableRawPointer(bitPattern: address) {
            return block.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("AlignedMemory: out of memory allocating \(bytes) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
    }

    /// Returns a block obtained from `allocate(count:)` with the same count.
    public static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = roundedSize(max(1, count) * MemoryLayout<Float>.stride)
        let raw = UnsafeMutableRawPointer(pointer)
        if bytes >= largeBlock {
            let address = UInt(bitPattern: raw)
            let kept = cache.withLock { cache -> Bool in
                guard cache.cachedBytes + bytes <= cacheLimit else { return false }
                cache.blocks[bytes, default: []].append(address)
                cache.cachedBytes += bytes
                return true
            }
            if kept { return }
        }
        free(raw)
    }

    /// Frees every cached block (for long-lived processes between phases of different sizes).
    public static func trimCache() {
        let addresses = cache.withLock { cache -> [UInt] in
            defer { cache.blocks = [:]; cache.cachedBytes = 0 }
            return cache.blocks.values.flatMap { $0 }
        }
        for address in addresses { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    private static func roundedSize(_ bytes: Int) -> Int {
        bytes < largeBlock ? bytes : (bytes + granule - 1) / granule * granule
    }
}
