/// A labelled image dataset the loader can batch.
///
/// Readers keep pixels as UInt8 (a quarter of the memory of Float32) and the loader converts them
/// to normalised Float32 one batch at a time. Image folders decode each file only when a sample is
/// requested, on the loader's threads. Datasets are immutable values shared by those threads.
public protocol Dataset: Sendable {
    /// Number of samples.
    var count: Int { get }
    /// Class names; label `k` is `classNames[k]`.
    var classNames: [String] { get }
    /// Channels of every image: 1 (grey) or 3 (RGB).
    var channels: Int { get }
    /// Height of every image, or nil when images differ in size (image folders).
    var height: Int? { get }
    /// Width of every image, or nil when images differ in size (image folders).
    var width: Int? { get }
    /// Files left out because they could not be read (image folders opened with `skipBadImages`).
    var skippedFiles: [String] { get }

    /// The class index of sample `index`, in `0..<classNames.count`.
    func label(at index: Int) -> Int32

    /// Calls `body` with the pixels of sample `index`. The view is valid only during the call.
    /// Throws a `DatasetError` naming the file when a lazily decoded image turns out corrupt.
    func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result
}

extension Dataset {
    public var skippedFiles: [String] { [] }

    /// The first `limit` samples (all of them when `limit` is nil or not smaller than `count`):
    /// what the CLI's `--limit-train N` / `--limit-test N` mean.
    public func prefix(_ limit: Int?) -> any Dataset {
        guard let limit, limit < count else { return self }
        return DatasetPrefix(base: self, count: max(0, limit))
    }

    /// Samples per class, indexed by label.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for index in 0..<count { counts[Int(label(at: index))] += 1 }
        return counts
    }
}

/// The first `count` samples of another dataset.
public struct DatasetPrefix: Dataset {
    public let base: any Dataset
    public let count: Int

    public var classNames: [String] { base.classNames }
    public var channels: Int { base.channels }
    public var height: Int? { base.height }
    public var width: Int? { base.width }
    public var skippedFiles: [String] { base.skippedFiles }

    public func label(at index: Int) -> Int32 {
        precondition(index >= 0 && index < count, "DatasetPrefix: index \(index) outside 0..<\(count)")
        return base.label(at: index)
    }

    public func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        precondition(index >= 0 && index < count, "DatasetPrefix: index \(index) outside 0..<\(count)")
        return try base.withImage(at: index, body)
    }
}
