/// Decoded images as a dataset, so the loader can put them through a model's test transform:
/// the images a user asks `mpw predict` or `mpw explain` about. Labels are all 0 (unknown).
public struct DecodedImageSet: Dataset {
    public let images: [DecodedImage]
    public let classNames: [String]
    public let channels: Int
    public let height: Int?
    public let width: Int?

    /// The images must all have `channels` channels (see `ImageAdaptation`).
    public init(_ images: [DecodedImage], channels: Int, classNames: [String]) {
        precondition(images.allSatisfy { $0.channels == channels }, "DecodedImageSet: every image needs \(channels) channels")
        self.images = images
        self.classNames = classNames
        self.channels = channels
        let sameSize = images.allSatisfy { $0.height == images.first?.height && $0.width == images.first?.width }
        height = sameSize ? images.first?.height : nil
        width = sameSize ? images.first?.width : nil
    }

    public var count: Int { images.count }

    public func label(at index: Int) -> Int32 { 0 }

    public func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        try images[index].withView(body)
    }
}
