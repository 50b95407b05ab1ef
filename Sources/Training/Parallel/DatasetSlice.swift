import Datasets

/// A contiguous run of another dataset's samples: one rank's share of the test split.
struct DatasetSlice: Dataset {
    let base: any Dataset
    let range: Range<Int>

    var count: Int { range.count }
    var classNames: [String] { base.classNames }
    var channels: Int { base.channels }
    var height: Int? { base.height }
    var width: Int? { base.width }

    func label(at index: Int) -> Int32 {
        precondition((0..<count).contains(index), "DatasetSlice: index \(index) outside 0..<\(count)")
        return base.label(at: range.lowerBound + index)
    }

    func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        precondition((0..<count).contains(index), "DatasetSlice: index \(index) outside 0..<\(count)")
        return try base.withImage(at: range.lowerBound + index, body)
    }
}
