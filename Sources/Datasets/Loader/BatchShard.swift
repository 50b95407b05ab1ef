/// One process's part of every batch in data-parallel training: rank `rank` of `count` takes a
/// contiguous run of each batch's positions. When `count` does not divide the batch, the first
/// `batch % count` ranks take one sample more. The union over the ranks is the whole batch, in
/// its order, so the samples and their augmentation do not depend on the number of ranks.
public struct BatchShard: Sendable, Equatable {
    public let rank: Int
    public let count: Int

    public init(rank: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(rank), "BatchShard: rank \(rank) outside 0..<\(count)")
        self.rank = rank
        self.count = count
    }

    /// This rank's part of `0..<total`.
    public func range(of total: Int) -> Range<Int> {
        let base = total / count, extra = total % count
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}
