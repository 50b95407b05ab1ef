import Tensors

/// Batches of one epoch of a dataset, transformed and normalised, built on background threads.
///
/// Determinism: the epoch's sample order is a pure function of (seed, epoch) (see `sampleOrder`),
/// each sample's augmentation of (seed, epoch, dataset index), and CutMix of (seed, epoch, batch
/// index). The batches are therefore identical for any number of workers and any thread timing,
/// and a run resumed at (epoch, batch) sees exactly the batches it would have seen.
///
/// Use one loader per epoch:
/// ```swift
/// let loader = try BatchLoader(dataset: train, batchSize: 128, shuffle: true, dropLast: true,
///                              transform: .cifarTraining(normalization: .cifar10), seed: 1, epoch: epoch)
/// while let batch = try loader.next() { ... }
/// ```
/// Dropping the loader early stops its workers (after their current batch).
public final class BatchLoader {
    public let dataset: any Dataset
    public let batchSize: Int
    public let workers: Int
    /// (C, H, W) of every sample in the batches.
    public let sampleShape: [Int]
    /// Dataset indices in the epoch's order.
    public let order: [Int]
    /// Batches in the epoch (the final partial batch counts unless `dropLast`).
    public let batchCount: Int

    private let plan: LoaderPlan
    private let pipeline: PrefetchPipeline?
    private var inlineBuilder: BatchBuilder?
    private var nextBatch: Int
    private var started = false
    private var finished = false
    /// The tensor of the batch last handed out, recycled on the next call.
    private var handedOut: Tensor?
    /// Without workers: the tensor to reuse for the next batch.
    private var inlineSpare: Tensor?

    /// - Parameters:
    ///   - dataset: any dataset; use `dataset.prefix(n)` for `--limit` style subsets.
    ///   - batchSize: samples per batch.
    ///   - shuffle: shuffle the order every epoch (training); else dataset order (evaluation).
    ///   - dropLast: leave out the final partial batch instead of returning it smaller.
    ///   - transform: per-sample steps, normalisation and optional CutMix.
    ///   - seed: the run's seed.
    ///   - epoch: the epoch this loader serves (0-based); it selects the order and augmentation.
    ///   - workers: background threads decoding and augmenting; 0 builds each batch on the
    ///     calling thread inside `next()`.
    ///   - prefetch: batches prepared ahead of the consumer (raised to `workers` if smaller).
    ///   - startBatch: the first batch to produce, to resume in the middle of an epoch.
    ///   - shard: in data-parallel training, the part of every batch this process takes (the
    ///     order, batch count and augmentation stay those of the whole batch).
    /// - Throws: `DatasetError.invalidRequest` when the transform cannot produce fixed-size
    ///   batches from this dataset's images.
    public init(dataset: any Dataset, batchSize: Int, shuffle: Bool, dropLast: Bool, transform: Transform,
                seed: UInt64, epoch: Int, workers: Int = 1, prefetch: Int = 2, startBatch: Int = 0, shard: BatchShard? = nil) throws {
        precondition(batchSize > 0, "BatchLoader: batch size must be positive, got \(batchSize)")
        precondition(workers >= 0 && prefetch >= 0 && startBatch >= 0,
                     "BatchLoader: workers, prefetch and startBatch must not be negative")
        let shape = try transform.outputShape(for: dataset)
        let order = Self.sampleOrder(count: dataset.count, shuffle: shuffle, seed: seed, epoch: epoch)
        let batchCount = dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
        self.dataset = dataset
        self.batchSize = batchSize
        self.workers = workers
        self.order = order
        self.batchCount = batchCount
        sampleShape = [shape.channels, shape.height, shape.width]
        plan = LoaderPlan(dataset: dataset, transform: transform, sampleShape: shape, order: order,
                          batchSize: batchSize, batchCount: batchCount, seed: seed, epoch: epoch, shard: shard)
        nextBatch = min(startBatch, batchCount)
        pipeline = workers > 0 ? PrefetchPipeline(plan: plan, startBatch: nextBatch, capacity: max(prefetch, workers)) : nil
    }

    deinit { pipeline?.cancel() }

    /// The epoch's order: 0..<count, shuffled by Fisher-Yates with a generator derived from
    /// (seed, epoch) when `shuffle` is set.
    public static func sampleOrder(count: Int, shuffle: Bool, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        guard shuffle && count > 1 else { return order }
        var generator = LoaderRandomness.generator(seed: seed, epoch: epoch, stream: .shuffle)
        for index in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(index, generator.nextInt(below: index + 1))
        }
        return order
    }

    /// The next batch, or nil after the last. Throws the `DatasetError` of a sample that cannot
    /// be decoded (naming its file); the loader is finished after an error.
    public func next() throws -> Batch? {
        guard !finished else { return nil }
        if let tensor = handedOut.take() {
            if let pipeline { pipeline.recycle(tensor) } else { inlineSpare = tensor }
        }
        let batch: Batch?
        do {
            if let pipeline {
                batch = try nextFromPipeline(pipeline)
            } else {
                batch = try nextInline()
            }
        } catch {
            finish()
            throw error
        }
        guard let batch else {
            finish()
            return nil
        }
        nextBatch += 1
        handedOut = batch.images
        return batch
    }

    /// Calls `body` with every remaining batch.
    public func forEach(_ body: (Batch) throws -> Void) throws {
        while let batch = try next() { try body(batch) }
    }

    private func nextFromPipeline(_ pipeline: PrefetchPipeline) throws -> Batch? {
        if !started {
            started = true
            pipeline.start(workers: workers)
        }
        return try pipeline.take()?.get()
    }

    private func nextInline() throws -> Batch? {
        guard nextBatch < batchCount else { return nil }
        let builder = inlineBuilder ?? BatchBuilder(plan: plan)
        inlineBuilder = builder
        return try builder.build(nextBatch, reusing: &inlineSpare)
    }

    private func finish() {
        finished = true
        pipeline?.cancel()
    }
}
