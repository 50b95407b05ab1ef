/// Brings any decoded image to the channels and size of a dataset's images, so a model sees a
/// user's photo as it saw its training data: colour to grey by PIL's `convert("L")` (ITU-R 601-2
/// luma, R·299/1000 + G·587/1000 + B·114/1000 in PIL's fixed point), then PIL's bilinear resize
/// to the fixed size (aspect ratio not kept, as torchvision's `Resize((h, w))`).
public struct ImageAdaptation: Sendable, Equatable {
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// The dataset's fixed image size, or nil to keep each image's own (image folders, whose
    /// transform resizes and crops).
    public let size: (height: Int, width: Int)?

    public init(channels: Int, size: (height: Int, width: Int)?) {
        precondition(channels == 1 || channels == 3, "ImageAdaptation: needs 1 or 3 channels, got \(channels)")
        self.channels = channels
        self.size = size
    }

    public static func == (a: ImageAdaptation, b: ImageAdaptation) -> Bool {
        a.channels == b.channels && a.size?.height == b.size?.height && a.size?.width == b.size?.width
    }

    /// The adaptation to a dataset kind's images.
    public init(for kind: DatasetKind) {
        let shape = kind.imageShape
        if let height = shape.height, let width = shape.width {
            self.init(channels: shape.channels, size: (height, width))
        } else {
            self.init(channels: shape.channels, size: nil)
        }
    }

    /// `image` (interleaved 1- or 3-channel) with this adaptation's channels and size.
    public func apply(to image: DecodedImage) -> DecodedImage {
        var result = image
        if channels == 1 && result.channels == 3 { result = Self.grey(result) }
        if channels == 3 && result.channels == 1 { result = Self.rgb(result) }
        if let size, (result.height, result.width) != (size.height, size.width) {
            let output = ScratchBuffer<UInt8>(), rows = ScratchBuffer<UInt8>()
            let pixels = result.withView { view in
                let resized = BilinearResize.resize(view, height: size.height, width: size.width, into: output, rows: rows)
                return Self.interleaved(resized)
            }
            result = DecodedImage(width: size.width, height: size.height, channels: result.channels, pixels: pixels)
        }
        return result
    }

    /// PIL's `L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16`, exact for grey images stored as RGB.
    static func grey(_ image: DecodedImage) -> DecodedImage {
        let count = image.width * image.height
        var grey = [UInt8](repeating: 0, count: count)
        image.pixels.withUnsafeBufferPointer { rgb in
            for pixel in 0..<count {
                let sum = 19595 * UInt32(rgb[3 * pixel]) + 38470 * UInt32(rgb[3 * pixel + 1]) + 7471 * UInt32(rgb[3 * pixel + 2]) + 0x8000
                grey[pixel] = UInt8(truncatingIfNeeded: sum >> 16)
            }
        }
        return DecodedImage(width: image.width, height: image.height, channels: 1, pixels: grey)
    }

    static func rgb(_ image: DecodedImage) -> DecodedImage {
        DecodedImage(width: image.width, height: image.height, channels: 3, pixels: image.pixels.flatMap { [$0, $0, $0] })
    }

    /// A view's pixels as interleaved (HWC) bytes.
    static func interleaved(_ view: ImageView) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: view.channels * view.height * view.width)
        for row in 0..<view.height {
            for column in 0..<view.width {
                for channel in 0..<view.channels {
                    pixels[(row * view.width + column) * view.channels + channel] = view[channel, row, column]
                }
            }
        }
        return pixels
    }
}
