/// MNIST and Fashion-MNIST: a directory of IDX files named `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each gzipped
/// (`.gz`, preferred when both exist) or raw. Images are 1×28×28, labels 0-9.
public enum MNISTStyle {
    /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// The ten Fashion-MNIST classes, in label order.
    public static let fashionMNISTClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The ten MNIST digits.
    public static let digitClassNames = (0...9).map(String.init)

    /// Reads a split of an MNIST-style dataset from `directory`.
    public static func load(directory: String, split: DatasetSplit, classNames: [String]) throws -> InMemoryDataset {
        try FileBytes.requireDirectory(directory, "IDX dataset directory")
        let prefix = split == .train ? "train" : "t10k"
        let imagePath = try file(directory, "\(prefix)-images-idx3-ubyte")
        let labelPath = try file(directory, "\(prefix)-labels-idx1-ubyte")
        let images = try IDXFile(contentsOf: imagePath)
        guard images.dimensions.count == 3, images.dimensions[1] > 0, images.dimensions[2] > 0 else {
            throw DatasetError(.malformed, path: imagePath, "dimensions \(images.dimensions) are not N×H×W images")
        }
        let labels = try IDXFile(contentsOf: labelPath)
        guard labels.dimensions == [images.dimensions[0]] else {
            throw DatasetError(.malformed, path: labelPath, "dimensions \(labels.dimensions) do not match \(images.dimensions[0]) images")
        }
        let dataStart = 4 + 4 * labels.dimensions.count
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError(.labelOutOfRange, path: labelPath, record: bad, byteOffset: dataStart + bad,
                               "label \(labels.bytes[bad]) is outside 0..<\(classNames.count)")
        }
        return InMemoryDataset(pixels: images.bytes, labels: labels.bytes.map(Int32.init), classNames: classNames,
                               channels: 1, height: images.dimensions[1], width: images.dimensions[2])
    }

    /// `name.gz` or `name` in `directory`, whichever exists (gzipped first).
    private static func file(_ directory: String, _ name: String) throws -> String {
        for candidate in [name + ".gz", name] {
            let path = DatasetPaths.join(directory, candidate)
            if FileBytes.isFile(path) { return path }
        }
        throw DatasetError(.missing, path: DatasetPaths.join(directory, name + ".gz"), "file not found (nor without .gz)")
    }
}
