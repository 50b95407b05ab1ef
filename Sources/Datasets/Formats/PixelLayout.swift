/// Conversions between pixel layouts.
enum PixelLayout {
    /// Images stored as rows of interleaved pixels (HWC, as NumPy and decoders give them) to
    /// channel planes (CHW), image after image. The byte count must be a multiple of
    /// `channels * pixelsPerImage`; with `pixelsPerImage` defaulting to 32x32.
    static func interleavedToPlanar(_ pixels: [UInt8], channels: Int, pixelsPerImage: Int = 32 * 32) -> [UInt8] {
        let imageBytes = channels * pixelsPerImage
        var planar = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            planar.withUnsafeMutableBufferPointer { destination in
                for image in 0..<(pixels.count / imageBytes) {
                    let input = source.baseAddress! + image * imageBytes
                    let output = destination.baseAddress! + image * imageBytes
                    for pixel in 0..<pixelsPerImage {
                        for channel in 0..<channels {
                            output[channel * pixelsPerImage + pixel] = input[pixel * channels + channel]
                        }
                    }
                }
            }
        }
        return planar
    }
}
