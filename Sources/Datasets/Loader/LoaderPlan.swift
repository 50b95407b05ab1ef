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

    var sampleSize: Int { sampleShape.channels * sampleShape.height * sampleShape.width }

    /// Positions in `order` of batch `index`'s samples.
    func positions(ofBatch index: Int) -> Range<Int> {
        (index * batchSize)..<min((index + 1) * batchSize, order.count)
    }
}
