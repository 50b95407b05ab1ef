import CPNG

/// PNG decoding and encoding with libpng's simplified `png_image` API, which converts any bit
/// depth, palette, grey or alpha variant to the 8-bit format asked for.
public enum PNGCodec {
    /// Width and height from the PNG header.
    static func header(_ bytes: [UInt8], path: String) throws -> (width: Int, height: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            throw failure(&image, path)
        }
        return (Int(image.width), Int(image.height))
    }

    /// Decodes to interleaved 8-bit RGB; alpha is composited onto black.
    public static func decode(_ bytes: [UInt8], path: String) throws -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            throw failure(&image, path)
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        try ImageDecoder.checkSize(width: width, height: height, path: path)
        // Zeroed, because libpng composites alpha onto whatever the buffer holds.
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let status = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard status != 0 else { throw failure(&image, path) }
        return DecodedImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Encodes interleaved 8-bit grey (1 channel) or RGB (3 channels) pixels as PNG bytes.
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3, "PNGCodec.encode: needs 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels, "PNGCodec.encode: pixel count does not match \(height)x\(width)x\(channels)")
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        var size = 0
        guard pixels.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0 else {
            throw failure(&image, "PNG encoder")
        }
        var output = [UInt8](repeating: 0, count: size)
        let status = output.withUnsafeMutableBytes { destination in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, destination.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard status != 0 else { throw failure(&image, "PNG encoder") }
        return Array(output.prefix(size))
    }

    private static func failure(_ image: inout png_image, _ path: String) -> DatasetError {
        let message = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return DatasetError(.unreadableImage, path: path, "cannot decode PNG: \(message.isEmpty ? "libpng error" : message)")
    }
}
