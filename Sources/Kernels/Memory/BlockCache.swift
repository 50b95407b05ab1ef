/// The bookkeeping of `AlignedMemory`'s cache of large blocks: freed blocks by rounded size, as
/// addresses (plain integers cross the lock freely), and the bytes in use now and at most.
///
/// Blocks in use plus blocks cached stay within the larger of `limit` and the most ever in use at
/// once: before a fresh allocation would pass that, cached blocks are given up, largest first.
struct BlockCache {
    let limit: Int
    private(set) var blocks: [Int: [UInt]] = [:]
    private(set) var cachedBytes = 0
    private(set) var liveBytes = 0
    private(set) var peakLiveBytes = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// A cached block of exactly `bytes`, now in use.
    mutating func take(_ bytes: Int) -> UInt? {
        guard let address = blocks[bytes]?.popLast() else { return nil }
        cachedBytes -= bytes
        liveBytes += bytes
        return address
    }

    /// Counts a fresh block of `bytes` as in use and returns the cached blocks to free so that
    /// live plus cached stays within the bound.
    mutating func admitFresh(_ bytes: Int) -> [UInt] {
        liveBytes += bytes
        peakLiveBytes = max(peakLiveBytes, liveBytes)
        let bound = max(peakLiveBytes, limit)
        var evicted: [UInt] = []
        for size in blocks.keys.sorted(by: >) where liveBytes + cachedBytes > bound {
            while liveBytes + cachedBytes > bound, let address = blocks[size]?.popLast() {
                evicted.append(address)
                cachedBytes -= size
            }
            if blocks[size]?.isEmpty == true { blocks[size] = nil }
        }
        return evicted
    }

    /// Takes back a released block of `bytes`. Live plus cached does not grow by it, so the bound
    /// holds without freeing anything here; `admitFresh` gives blocks up when it must.
    mutating func keep(_ address: UInt, _ bytes: Int) {
        liveBytes -= bytes
        blocks[bytes, default: []].append(address)
        cachedBytes += bytes
    }

    /// Empties the cache, returning every cached block to free.
    mutating func removeAll() -> [UInt] {
        defer { blocks = [:]; cachedBytes = 0 }
        return blocks.values.flatMap { $0 }
    }
}
