@testable import Kernels
import Tensors
import Testing

/// The large-block cache: blocks come back by size, and live plus cached never passes the larger
/// of the limit and the peak in use.
@Suite struct BlockCacheTests {
    @Test func returnsAReleasedBlockForItsSizeAndNoSmallerRequest() {
        var cache = BlockCache(limit: 100)
        let evicted = cache.admitFresh(10)
        cache.keep(0xA0, 10)
        let (otherSize, sameSize, again) = (cache.take(20), cache.take(10), cache.take(10))
        #expect(evicted.isEmpty)
        #expect(otherSize == nil && sameSize == 0xA0 && again == nil)
        #expect(cache.liveBytes == 10 && cache.cachedBytes == 0)
    }

    /// A request takes the smallest cached block up to a quarter larger, and the block goes back
    /// to the cache at its true size.
    @Test func aRequestTakesTheSmallestBlockAtMostAQuarterLarger() {
        var cache = BlockCache(limit: 1000)
        for size in [100, 110, 124, 127] { _ = cache.admitFresh(size) }
        for (address, size) in [(UInt(0x100), 100), (0x110, 110), (0x124, 124), (0x127, 127)] { cache.keep(address, size) }
        #expect(cache.take(101) == 0x110)
        #expect(cache.take(101) == 0x124)
        #expect(cache.take(101) == nil, "127 is more than a quarter above 101")
        #expect(cache.liveBytes == 234 && cache.cachedBytes == 227)
        cache.keep(0x110, 101)
        #expect(cache.liveBytes == 124 && cache.cachedBytes == 337)
        #expect(cache.take(110) == 0x110)
    }

    @Test func releasedBlocksAreKeptAndTheNextFreshBlockTrimsThemToThePeak() {
        var cache = BlockCache(limit: 30)
        for _ in 0..<2 { _ = cache.admitFresh(20) }
        cache.keep(0xA0, 20)
        cache.keep(0xB0, 20)
        #expect(cache.cachedBytes == 40 && cache.liveBytes == 0)
        // 10 fresh plus 40 cached would pass max(limit 30, peak 40): one 20 goes.
        let evicted = cache.admitFresh(10)
        #expect(evicted.count == 1 && cache.cachedBytes == 20 && cache.liveBytes == 10)
    }

    @Test func aFreshBlockEvictsTheLargestCachedBlocksFirst() {
        var cache = BlockCache(limit: 100)
        for size in [40, 30, 20] { _ = cache.admitFresh(size) }
        for (address, size) in [(UInt(0x40), 40), (0x30, 30), (0x20, 20)] { cache.keep(address, size) }
        // 25 in use plus 90 cached would pass max(limit 100, peak 90).
        let evicted = cache.admitFresh(25)
        #expect(evicted == [0x40])
        #expect(cache.liveBytes + cache.cachedBytes == 75)
        let reused = cache.take(30)
        #expect(reused == 0x30)
    }

    @Test func neverHoldsMoreThanTheLimitOrThePeakInUse() {
        var cache = BlockCache(limit: 1000)
        var generator = RandomGenerator(seed: 11)
        var live: [(address: UInt, bytes: Int)] = []
        var nextAddress: UInt = 1
        for _ in 0..<20_000 {
            let bytes = [64, 128, 192, 320, 512].randomElement(using: &generator)!
            if live.isEmpty || Bool.random(using: &generator) {
                if let address = cache.take(bytes) {
                    live.append((address, bytes))
                } else {
                    _ = cache.admitFresh(bytes)
                    live.append((nextAddress, bytes))
                    nextAddress += 1
                }
            } else {
                let block = live.remove(at: Int.random(in: 0..<live.count, using: &generator))
                cache.keep(block.address, block.bytes)
            }
            #expect(cache.liveBytes == live.reduce(0) { $0 + $1.bytes })
            #expect(cache.liveBytes + cache.cachedBytes <= max(cache.limit, cache.peakLiveBytes))
            #expect(cache.cachedBytes == cache.blocks.reduce(0) { $0 + $1.key * $1.value.count })
        }
    }
}
