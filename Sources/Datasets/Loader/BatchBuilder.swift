import Tensors

/// Builds whole batches: transforms every sample into the batch tensor, then applies CutMix.
/// Each worker owns one, with its own scratch buffers.
final class BatchBuilder {
    private let plan: LoaderPlan
    private let transformer: SampleTransformer
    private let snapshot = ScratchBuffer<Float>()

    init(plan: LoaderPlan) {
        self.plan = plan
        transformer = SampleTransformer(transform: plan.transform, outputChannels: plan.sampleShape.channels)
    }

    /// Batch `index` of the epoch, written into `buffer` (taken, leaving nil) when it has the
    /// right shape and nobody else holds it, else into a new tensor.
    func build(_ index: Int, reusing buffer: inout Tensor?) throws -> Batch {
        // CutMix pairs samples across the whole batch, so a shard then builds it all and keeps its part.
        let mixesWholeBatch = plan.transform.cutMix != nil && plan.shard != nil
        let positions = mixesWholeBatch ? plan.positions(ofBatch: index) : plan.shardPositions(ofBatch: index)
        let shape = [positions.count, plan.sampleShape.channels, plan.sampleShape.height, plan.sampleShape.width]
        // One binding only: a second copy of the tensor would make it look shared.
        var images = buffer.take() ?? Tensor(uninitializedShape: shape)
        if images.shape != shape || !images.isUniquelyReferenced() {
            images = Tensor(uninitializedShape: shape)
        }
        let indices = Array(plan.order[positions])
        let labels = indices.map(plan.dataset.label(at:))
        var mixing: CutMix.Mixing?
        try images.withUnsafeMutableBufferPointer { output in
            let base = output.baseAddress!
            for (slot, sample) in indices.enumerated() {
                var generator = LoaderRandomness.generator(seed: plan.seed, epoch: plan.epoch, stream: .sample, index: sample)
                try plan.dataset.withImage(at: sample) { view in
                    transformer.apply(to: view, generator: &generator, output: base + slot * plan.sampleSize)
                }
            }
            if let cutMix = plan.transform.cutMix {
                var generator = LoaderRandomness.generator(seed: plan.seed, epoch: plan.epoch, stream: .batch, index: index)
                mixing = cutMix.apply(images: base, count: indices.count, channels: plan.sampleShape.channels,
                                      height: plan.sampleShape.height, width: plan.sampleShape.width,
                                      labels: labels, generator: &generator, snapshot: snapshot)
            }
        }
        let batch = Batch(images: images, labels: labels, mixedLabels: mixing?.mixedLabels, mixWeight: mixing?.weights,
                          sampleIndices: indices, index: index)
        guard mixesWholeBatch else { return batch }
        let all = plan.positions(ofBatch: index), part = plan.shardPositions(ofBatch: index)
        return batch.rows((part.lowerBound - all.lowerBound)..<(part.upperBound - all.lowerBound))
    }
}
