import Tensors

/// One batch from a `BatchLoader`.
public struct Batch: Sendable {
    /// (N, C, H, W) Float32, contiguous, normalised. Its storage is recycled for a later batch
    /// once no copy of this tensor is left alive.
    public var images: Tensor
    /// Each sample's class index.
    public var labels: [Int32]
    /// With CutMix: each sample's second class (its own label for samples that were not mixed);
    /// nil when no sample of the batch was mixed.
    public var mixedLabels: [Int32]?
    /// With CutMix: the weight of `labels` per sample; `mixedLabels` weighs `1 - mixWeight[i]`.
    /// The loss is `w·CE(labels) + (1 - w)·CE(mixedLabels)`. Nil exactly when `mixedLabels` is.
    public var mixWeight: [Float]?
    /// The dataset indices of the samples, in batch order.
    public var sampleIndices: [Int]
    /// The batch's position in its epoch (0-based).
    public var index: Int

    public var count: Int { labels.count }
}
