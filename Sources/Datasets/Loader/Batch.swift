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

    /// The samples at `rows` of this batch, as a batch of their own.
    func rows(_ rows: Range<Int>) -> Batch {
        let sampleSize = images.count / max(count, 1)
        var part = Tensor(uninitializedShape: [rows.count] + images.shape.dropFirst())
        images.withUnsafeBufferPointer { source in
            part.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + rows.lowerBound * sampleSize, count: rows.count * sampleSize)
            }
        }
        return Batch(images: part, labels: Array(labels[rows]), mixedLabels: mixedLabels.map { Array($0[rows]) },
                     mixWeight: mixWeight.map { Array($0[rows]) }, sampleIndices: Array(sampleIndices[rows]), index: index)
    }
}
