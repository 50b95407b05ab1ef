/// One per-sample step of a transform, applied to UInt8 pixels before normalisation, in the
/// order given. Random steps draw from the sample's own generator in the order documented on
/// each case, so a sample's augmentation depends only on (seed, epoch, sample index).
public enum TransformStep: Sendable, Equatable {
    /// Adds `pixels` of zeros on every side: `.pad(2)` turns 28x28 (MNIST, Fashion-MNIST) into
    /// the 32x32 that CIFAR networks expect.
    case pad(Int)
    /// torchvision's `RandomCrop(size, padding:)`: zero padding on every side, then a
    /// `size`x`size` window at a uniformly random position. Draws the top offset, then the left.
    case randomCrop(size: Int, padding: Int)
    /// torchvision's `RandomHorizontalFlip(p)`: mirrors left to right when a uniform draw is
    /// below `probability`. One draw.
    case horizontalFlip(probability: Double)
    /// torchvision's `RandomResizedCrop(size, scale, ratio)`: up to ten attempts at a box of
    /// random area fraction (uniform in `scale`) and aspect ratio (log-uniform in `ratio`) that
    /// fits the image, else the central box of the nearest allowed ratio; the box is then resized
    /// to `size`x`size` with bilinear resampling. Draws, per attempt, the area fraction then the
    /// log ratio, and on success the top then the left offset.
    case randomResizedCrop(size: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>)
    /// torchvision's `Resize(size)` with an integer: the shorter side becomes `size`, the longer
    /// one `floor(size * long / short)`, with bilinear resampling.
    case resizeShortSide(Int)
    /// torchvision's `CenterCrop(size)`: the central `size`x`size` window (offsets rounded half
    /// to even), zero-padded when the image is smaller.
    case centerCrop(Int)
    /// Repeats a one-channel image `count` times (grey to RGB for a 3-channel stem); a no-op on
    /// images that already have `count` channels.
    case repeatChannels(Int)

    /// The step's output size for an input size; nil dimensions mean "varies per image".
    func outputSize(channels: Int, height: Int?, width: Int?) throws -> (channels: Int, height: Int?, width: Int?) {
        switch self {
        case .pad(let pixels):
            try Self.require(pixels >= 0, "pad needs a non-negative width, got \(pixels)")
            return (channels, height.map { $0 + 2 * pixels }, width.map { $0 + 2 * pixels })
        case .randomCrop(let size, let padding):
            try Self.require(size > 0 && padding >= 0, "randomCrop needs a positive size and non-negative padding")
            return (channels, size, size)
        case .horizontalFlip(let probability):
            try Self.require((0...1).contains(probability), "horizontalFlip probability \(probability) is outside [0, 1]")
            return (channels, height, width)
        case .randomResizedCrop(let size, let scale, let ratio):
            try Self.require(size > 0 && scale.lowerBound > 0 && scale.upperBound <= 1 && ratio.lowerBound > 0,
                             "randomResizedCrop needs a positive size, scale within (0, 1] and a positive ratio")
            return (channels, size, size)
        case .resizeShortSide(let size):
            try Self.require(size > 0, "resizeShortSide needs a positive size, got \(size)")
            guard let height, let width else { return (channels, nil, nil) }
            let resized = CropGeometry.shortSideResize(height: height, width: width, shortSide: size)
            return (channels, resized.height, resized.width)
        case .centerCrop(let size):
            try Self.require(size > 0, "centerCrop needs a positive size, got \(size)")
            return (channels, size, size)
        case .repeatChannels(let count):
            try Self.require(channels == 1 || channels == count, "repeatChannels(\(count)) needs 1-channel images, got \(channels) channels")
            return (count, height, width)
        }
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw DatasetError(.invalidRequest, path: "transform", message()) }
    }
}
