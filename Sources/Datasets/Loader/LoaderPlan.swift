/// Everything that fixes an epoch's batches: shared, read-only, by the loader and its workers.
struct LoaderPlan: Sendable {
    let dataset: any Dataset
    let transform: Transform
    let sampleShape: (channels: Int, height: Int, width: Int)
    let order: [Int]
    let batchSize: Int
    let batchCount: Int
    let seed: UInt64
    let epoch: Int
    /// This process's part of every batch (nil: all of it).
    var shard: BatchShard? = nil

    var sampleSize: Int { sampleShape.channels * sampleShape.height * sampleShape.width }

    /// Positions in `order` of batch `index`'s samples.
    func positions(ofBatch index: Int) -> Range<Int> {
        (index * batchSize)..<min((index + 1) * batchSize, order.count)
    }

    /// The positions this process builds of batch `index`: its shard's part.
    func shardPositions(ofBatch index: Int) -> Range<Int> {
        let all = positions(ofBatch: index)
        guard let shard else { return all }
        let part = shard.range(of: all.count)
        return (all.lowerBound + part.lowerBound)..<(all.lowerBound + part.upperBound)
    }
}
