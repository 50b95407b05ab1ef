/// A dataset whose images all have one size and live in memory as one (N, C, H, W) UInt8 array:
/// what the CIFAR, CIFAR-10.1 and IDX readers return.
public struct InMemoryDataset: Dataset {
    /// All pixels, sample after sample, each sample as C planes of H rows of W bytes.
    public let pixels: [UInt8]
    public let labels: [Int32]
    public let classNames: [String]
    public let channels: Int
    public let imageHeight: Int
    public let imageWidth: Int

    /// The arguments must agree (pixel count, label count and range); readers validate the files
    /// first, so a mismatch here is a programming error and traps.
    public init(pixels: [UInt8], labels: [Int32], classNames: [String], channels: Int, height: Int, width: Int) {
        precondition(channels > 0 && height > 0 && width > 0,
                     "InMemoryDataset: image size \(channels)x\(height)x\(width) must be positive")
        precondition(pixels.count == labels.count * channels * height * width,
                     "InMemoryDataset: \(pixels.count) pixels do not hold \(labels.count) images of \(channels)x\(height)x\(width)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classNames.count },
                     "InMemoryDataset: a label is outside 0..<\(classNames.count)")
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
        self.channels = channels
        imageHeight = height
        imageWidth = width
    }

    public var count: Int { labels.count }
    public var height: Int? { imageHeight }
    public var width: Int? { imageWidth }
    public var sampleSize: Int { channels * imageHeight * imageWidth }

    public func label(at index: Int) -> Int32 { labels[index] }

    public func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        precondition(index >= 0 && index < count, "InMemoryDataset: index \(index) outside 0..<\(count)")
        return try pixels.withUnsafeBufferPointer { buffer in
            try body(.planar(buffer.baseAddress! + index * sampleSize, channels: channels,
                             height: imageHeight, width: imageWidth))
        }
    }
}
