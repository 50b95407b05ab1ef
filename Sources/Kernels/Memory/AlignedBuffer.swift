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
/// keyed by their rounded size.
///
/// Blocks in use plus blocks cached stay within the larger of `cacheLimit` (1 GB, or half the
/// physical memory if that is less) and the most ever in use at once: before a fresh allocation
/// would pass that, cached blocks are freed, largest first. A network with one set of sizes (a
/// ResNet) reuses every block; one whose sizes keep changing cannot grow a second copy of its
/// activations in unused blocks: the process holds little more than its peak in use.
public enum AlignedMemory {
    public static let alignment = 64
    /// Blocks below this size go straight to malloc, which recycles them well.
    static let largeBlock = 256 << 10
    /// Large sizes are rounded up to this granule so slightly different sizes share blocks.
    static let granule = 64 << 10
    public static let cacheLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? min(pages * pageSize / 2, 1 << 30) : 1 << 30
    }()

    private static let cache = Mutex(BlockCache(limit: cacheLimit))

    public static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = roundedSize(max(1, count) * MemoryLayout<Float>.stride)
        MemoryUse.allocated(bytes)
        if bytes >= largeBlock {
            let (reused, evicted) = cache.withLock { cache -> (UInt?, [UInt]) in
                if let address = cache.take(bytes) { return (address, []) }
                return (nil, cache.admitFresh(bytes))
            }
            if let reused, let block = UnsafeMutableRawPointer(bitPattern: reused) {
                return block.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
            }
            for address in evicted { free(UnsafeMutableRawPointer(bitPattern: address)) }
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else { AllocationFailure.terminate(bytes: bytes) }
        return raw.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
    }

    /// Returns a block obtained from `allocate(count:)` with the same count.
    public static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = roundedSize(max(1, count) * MemoryLayout<Float>.stride)
        let raw = UnsafeMutableRawPointer(pointer)
        MemoryUse.released(bytes)
        if bytes >= largeBlock {
            cache.withLock { $0.keep(UInt(bitPattern: raw), bytes) }
        } else {
            free(raw)
        }
    }

    /// Frees every cached block (for long-lived processes between phases of different sizes).
    public static func trimCache() {
        for address in cache.withLock({ $0.removeAll() }) { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    private static func roundedSize(_ bytes: Int) -> Int {
        bytes < largeBlock ? bytes : (bytes + granule - 1) / granule * granule
    }
}
