/// An image decoded from a file: interleaved RGB bytes (HWC), the decoders' native layout. Views
/// into it (`ImageView.interleaved`) let transforms read it without reordering.
public struct DecodedImage: Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Rows of `width` pixels of `channels` bytes.
    public let pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels,
                     "DecodedImage: \(pixels.count) bytes do not hold \(height)x\(width)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public func withView<Result>(_ body: (ImageView) throws -> Result) rethrows -> Result {
        try pixels.withUnsafeBufferPointer { buffer in
            try body(.interleaved(buffer.baseAddress!, channels: channels, height: height, width: width))
        }
    }
}
