/// The training or the held-out part of a dataset.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train
    /// The test split (`test_batch.bin`, `t10k-*`, an image folder's `val/` or `test/`).
    case test
}
