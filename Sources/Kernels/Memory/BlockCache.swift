/// The bookkeeping of `AlignedMemory`'s cache of large blocks: freed blocks by rounded size, as
/// addresses (plain integers cross the lock freely), and the bytes in use now and at most.
///
/// A request takes the smallest cached block of its size up to a quarter larger. Networks whose
/// layers all differ in width (PyramidNet adds a few channels per block, DenseNet one growth step
/// per layer) ask for sizes a few percent apart; with exact sizes only, each step gave up blocks
/// of the last step's sizes and faulted in new ones (PyramidNet-200 at batch 16: 0.5 GB of page
/// faults per training step).
///
/// Blocks in use plus blocks cached stay within the larger of `limit` and the most ever in use at
/// once: before a fresh allocation would pass that, cached blocks are given up, largest first.
struct BlockCache {
    let limit: Int
    private(set) var blocks: [Int: [UInt]] = [:]
    private(set) var cachedBytes = 0
    private(set) var liveBytes = 0
    private(set) var peakLiveBytes = 0
    /// Blocks in use that are larger than their request, by address: their true size.
    private var granted: [UInt: Int] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    /// A cached block of `bytes` up to a quarter more (the smallest such), now in use.
    mutating func take(_ bytes: Int) -> UInt? {
        let size = blocks[bytes] != nil ? bytes : blocks.keys.filter { $0 > bytes && $0 <= bytes + bytes / 4 }.min()
        guard let size, let address = blocks[size]?.popLast() else { return nil }
        if blocks[size]?.isEmpty == true { blocks[size] = nil }
        if size != bytes { granted[address] = size }
        cachedBytes -= size
        liveBytes += size
        peakLiveBytes = max(peakLiveBytes, liveBytes)
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
        let size = granted.removeValue(forKey: address) ?? bytes
        liveBytes -= size
        blocks[size, default: []].append(address)
        cachedBytes += size
    }

    /// Empties the cache, returning every cached block to free.
    mutating func removeAll() -> [UInt] {
        defer { blocks = [:]; cachedBytes = 0 }
        return blocks.values.flatMap { $0 }
    }
}
