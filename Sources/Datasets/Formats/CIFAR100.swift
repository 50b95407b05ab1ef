/// CIFAR-100 in its binary distribution: `cifar-100-binary/` holding `train.bin` (50,000 images),
/// `test.bin` (10,000), `fine_label_names.txt` (100 names) and `coarse_label_names.txt` (20
/// superclasses). Each record is a coarse label byte, a fine label byte and 3072 pixel bytes.
public enum CIFAR100 {
    public static let directoryName = "cifar-100-binary"

    /// Which of the two labels a record carries the dataset reports.
    public enum LabelGranularity: String, Sendable, CaseIterable {
        /// The 100 classes (the default, and what the paper reports).
        case fine
        /// The 20 superclasses.
        case coarse
    }

    static func records(_ granularity: LabelGranularity) -> CIFARRecords {
        CIFARRecords(labelFields: [.init(offset: 0, classCount: 20, name: "coarse"),
                                   .init(offset: 1, classCount: 100, name: "fine")],
                     selected: granularity == .coarse ? 0 : 1)
    }

    /// Reads a split from `directory`, which is either `cifar-100-binary` itself or its parent.
    public static func load(directory: String, split: DatasetSplit,
                            labels granularity: LabelGranularity = .fine) throws -> InMemoryDataset {
        let root = DatasetPaths.descend(directory, into: directoryName)
        try FileBytes.requireDirectory(root, "CIFAR-100 directory")
        let names = granularity == .fine
            ? try TextLines.classNames(DatasetPaths.join(root, "fine_label_names.txt"), expectedCount: 100)
            : try TextLines.classNames(DatasetPaths.join(root, "coarse_label_names.txt"), expectedCount: 20)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        try records(granularity).append(fileAt: DatasetPaths.join(root, split == .train ? "train.bin" : "test.bin"),
                                        to: &pixels, labels: &labels)
        return InMemoryDataset(pixels: pixels, labels: labels, classNames: names, channels: 3, height: 32, width: 32)
    }
}
