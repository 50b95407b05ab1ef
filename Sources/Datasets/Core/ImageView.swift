/// A borrowed, read-only view of one image's UInt8 pixels with arbitrary strides.
///
/// Strides let one type describe planar CHW storage (CIFAR, IDX), interleaved HWC decoder output
/// (JPEG, PNG), crops (an offset base), horizontal flips (a negative column stride) and a grey
/// plane repeated as three channels (a zero channel stride), all without copying pixels.
/// Valid only inside the closure that provides it.
public struct ImageView {
    /// The pixel at channel 0, row 0, column 0.
    public let base: UnsafePointer<UInt8>
    public let channels: Int
    public let height: Int
    public let width: Int
    public let channelStride: Int
    public let rowStride: Int
    public let columnStride: Int

    public init(base: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int,
                channelStride: Int, rowStride: Int, columnStride: Int) {
        self.base = base
        self.channels = channels
        self.height = height
        self.width = width
        self.channelStride = channelStride
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    /// Contiguous planar storage: channel planes of `height` rows of `width` pixels.
    public static func planar(_ base: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int) -> ImageView {
        ImageView(base: base, channels: channels, height: height, width: width,
                  channelStride: height * width, rowStride: width, columnStride: 1)
    }

    /// Contiguous interleaved storage: rows of `width` pixels of `channels` bytes each.
    public static func interleaved(_ base: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int) -> ImageView {
        ImageView(base: base, channels: channels, height: height, width: width,
                  channelStride: 1, rowStride: width * channels, columnStride: channels)
    }

    public subscript(channel: Int, row: Int, column: Int) -> UInt8 {
        base[channel * channelStride + row * rowStride + column * columnStride]
    }

    /// The rectangle starting at (`top`, `left`); it must lie inside the image.
    func cropped(top: Int, left: Int, height: Int, width: Int) -> ImageView {
        precondition(top >= 0 && left >= 0 && top + height <= self.height && left + width <= self.width,
                     "ImageView.cropped: \(height)x\(width) at (\(top), \(left)) is outside \(self.height)x\(self.width)")
        return ImageView(base: base + top * rowStride + left * columnStride, channels: channels,
                         height: height, width: width, channelStride: channelStride,
                         rowStride: rowStride, columnStride: columnStride)
    }

    /// The mirror image, left to right.
    func flippedHorizontally() -> ImageView {
        ImageView(base: base + (width - 1) * columnStride, channels: channels, height: height, width: width,
                  channelStride: channelStride, rowStride: rowStride, columnStride: -columnStride)
    }

    /// A one-channel image seen as `count` identical channels.
    func repeatingChannel(_ count: Int) -> ImageView {
        ImageView(base: base, channels: count, height: height, width: width,
                  channelStride: 0, rowStride: rowStride, columnStride: columnStride)
    }
}
