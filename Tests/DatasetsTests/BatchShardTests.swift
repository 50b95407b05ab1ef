@testable import Datasets
import Tensors
import Testing

/// Data-parallel loaders: the ranks' shards of every batch, put back together in rank order,
/// are the one-process batches, with per-sample and per-batch CutMix alike.
@Suite struct BatchShardTests {
    @Test(arguments: [CutMix.Pairing.perSample, .perBatch], [2, 3])
    func shardsReassembleTheWholeBatches(pairing: CutMix.Pairing, ranks: Int) throws {
        let transform = Transform.cifarTraining(normalization: .cifar10, cutMix: CutMix(pairing: pairing))
        func epoch(_ shard: BatchShard?) throws -> [Batch] {
            try LoaderTests.collect(BatchLoader(dataset: LoaderTests.dataset, batchSize: 8, shuffle: true, dropLast: true,
                                                transform: transform, seed: 7, epoch: 1, workers: 1, shard: shard))
        }
        let whole = try epoch(nil)
        let shards = try (0..<ranks).map { try epoch(BatchShard(rank: $0, count: ranks)) }
        #expect(whole.contains { $0.mixedLabels != nil })
        for (index, batch) in whole.enumerated() {
            let parts = shards.map { $0[index] }
            #expect(parts.map(\.count) == (0..<ranks).map { BatchShard(rank: $0, count: ranks).range(of: batch.count).count })
            #expect(parts.flatMap(\.sampleIndices) == batch.sampleIndices && parts.flatMap(\.labels) == batch.labels)
            #expect(parts.flatMap(\.images.scalars) == batch.images.scalars)
            #expect(parts.flatMap { $0.mixWeight ?? Array(repeating: 1, count: $0.count) } == (batch.mixWeight ?? Array(repeating: 1, count: batch.count)))
        }
    }
}
