/// CIFAR-10 in its binary distribution: `cifar-10-batches-bin/` holding `data_batch_1.bin` ...
/// `data_batch_5.bin` (training, 50,000 images), `test_batch.bin` (10,000) and `batches.meta.txt`
/// (the ten class names). Each record is 1 label byte and 3072 pixel bytes.
public enum CIFAR10 {
    public static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    public static let directoryName = "cifar-10-batches-bin"

    /// The class names of CIFAR-10 (and CIFAR-10.1, which ships no names file).
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]

    static let records = CIFARRecords(labelFields: [.init(offset: 0, classCount: 10, name: "class")], selected: 0)

    /// Reads a split from `directory`, which is either `cifar-10-batches-bin` itself or its parent.
    public static func load(directory: String, split: DatasetSplit) throws -> InMemoryDataset {
        let root = DatasetPaths.descend(directory, into: directoryName)
        try FileBytes.requireDirectory(root, "CIFAR-10 directory")
        let names = try TextLines.classNames(DatasetPaths.join(root, "batches.meta.txt"), expectedCount: 10)
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        for file in split == .train ? trainingFiles : [testFile] {
            try records.append(fileAt: DatasetPaths.join(root, file), to: &pixels, labels: &labels)
        }
        return InMemoryDataset(pixels: pixels, labels: labels, classNames: names, channels: 3, height: 32, width: 32)
    }
}
