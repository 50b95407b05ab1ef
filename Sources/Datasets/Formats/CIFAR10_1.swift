/// CIFAR-10.1 (Recht et al.), a new test set for CIFAR-10 models: `cifar10.1_v6_data.npy`
/// (N×32×32×3 uint8, HWC) and `cifar10.1_v6_labels.npy` (N integers), and the same for v4. It has
/// no training split and shares CIFAR-10's classes.
public enum CIFAR10_1 {
    public enum Version: String, Sendable, CaseIterable {
        /// 2,000 images; the version the CIFAR-10.1 authors recommend.
        case v6
        /// 2,021 images.
        case v4
    }

    public static func dataFile(_ version: Version) -> String { "cifar10.1_\(version.rawValue)_data.npy" }
    public static func labelFile(_ version: Version) -> String { "cifar10.1_\(version.rawValue)_labels.npy" }

    /// Reads one version's images and labels from `directory`, converting HWC to CHW.
    public static func load(directory: String, version: Version = .v6) throws -> InMemoryDataset {
        try FileBytes.requireDirectory(directory, "CIFAR-10.1 directory")
        let dataPath = DatasetPaths.join(directory, dataFile(version))
        let labelPath = DatasetPaths.join(directory, labelFile(version))
        let data = try NumPyArray(contentsOf: dataPath)
        guard data.shape.count == 4, data.shape[1] == 32, data.shape[2] == 32, data.shape[3] == 3 else {
            throw DatasetError(.malformed, path: dataPath, "shape \(data.shape) is not N×32×32×3")
        }
        let interleaved = try data.uint8s()
        let labelArray = try NumPyArray(contentsOf: labelPath)
        let rawLabels = try labelArray.integers()
        guard labelArray.shape.count == 1, rawLabels.count == data.shape[0] else {
            throw DatasetError(.malformed, path: labelPath, "shape \(labelArray.shape) does not match \(data.shape[0]) images")
        }
        var labels: [Int32] = []
        labels.reserveCapacity(rawLabels.count)
        for (record, label) in rawLabels.enumerated() {
            guard label >= 0 && label < 10 else {
                throw DatasetError(.labelOutOfRange, path: labelPath, record: record, "label \(label) is outside 0..<10")
            }
            labels.append(Int32(label))
        }
        return InMemoryDataset(pixels: PixelLayout.interleavedToPlanar(interleaved, channels: 3),
                               labels: labels, classNames: CIFAR10.classNames, channels: 3, height: 32, width: 32)
    }
}
