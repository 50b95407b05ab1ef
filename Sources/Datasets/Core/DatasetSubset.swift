/// Chosen samples of another dataset, in the order of `indices`: a validation split held out
/// of a training split, what is left of it, or the images a prototype search picked.
public struct DatasetSubset: Dataset {
    public let base: any Dataset
    public let indices: [Int]

    public init(base: any Dataset, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "DatasetSubset: an index outside 0..<\(base.count)")
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public var channels: Int { base.channels }
    public var height: Int? { base.height }
    public var width: Int? { base.width }
    public var skippedFiles: [String] { base.skippedFiles }

    public func label(at index: Int) -> Int32 {
        base.label(at: indices[index])
    }

    public func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        try base.withImage(at: indices[index], body)
    }
}
