/// Decoding of whole files into RGB.
public enum ImageDecoder {
    /// Images with more pixels are refused before any pixel memory is allocated: PIL's
    /// decompression-bomb limit (2 × 89,478,485), so a corrupt or hostile header claiming
    /// 65535×65535 pixels fails with an error instead of exhausting memory.
    public static let maximumPixels = 178_956_970

    /// Throws unless a `width`×`height` image is within `maximumPixels`.
    static func checkSize(width: Int, height: Int, path: String) throws {
        guard width > 0 && height > 0 else {
            throw DatasetError(.unreadableImage, path: path, "image has no pixels (\(width)x\(height))")
        }
        guard width * height <= maximumPixels else {
            throw DatasetError(.unreadableImage, path: path, "image of \(width)x\(height) pixels exceeds the \(maximumPixels)-pixel limit")
        }
    }

    /// Decodes the JPEG or PNG file at `path` to 8-bit RGB. Grey, palette and alpha images are
    /// converted (alpha composited onto black). Throws `.unreadableImage` naming the file.
    public static func decode(fileAt path: String) throws -> DecodedImage {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch let error as DatasetError {
            throw DatasetError(error.kind == .missing ? .missing : .unreadableImage, path: path, error.reason)
        }
        return try decode(bytes, path: path)
    }

    /// Decodes JPEG or PNG bytes; `path` is only used in error messages.
    public static func decode(_ bytes: [UInt8], path: String) throws -> DecodedImage {
        switch ImageFormat(signature: bytes) {
        case .jpeg: return try JPEGCodec.decode(bytes, path: path)
        case .png: return try PNGCodec.decode(bytes, path: path)
        case nil: throw DatasetError(.unreadableImage, path: path, byteOffset: 0, "neither a JPEG nor a PNG file (unknown signature)")
        }
    }

    /// Checks an image file without decoding the pixels: the signature, the header (format,
    /// width, height) and the end-of-image marker near the end (JPEG's EOI, PNG's IEND), which
    /// catches truncated files, the usual damage from an interrupted copy. Reads the first few
    /// kilobytes (more if the header lies further in, after a large EXIF block) and the last one.
    public static func header(fileAt path: String) throws -> (format: ImageFormat, width: Int, height: Int) {
        do {
            var bytes = try FileBytes.read(path, limit: 16 << 10)
            guard let format = ImageFormat(signature: bytes) else {
                throw DatasetError(.unreadableImage, path: path, byteOffset: 0, bytes.isEmpty ? "empty file" : "neither a JPEG nor a PNG file (unknown signature)")
            }
            let size: (format: ImageFormat, width: Int, height: Int)
            do {
                size = try header(bytes, format: format, path: path)
            } catch where bytes.count == 16 << 10 {
                bytes = try FileBytes.read(path)
                size = try header(bytes, format: format, path: path)
            }
            guard hasEndMarker(try FileBytes.readTail(path, count: endSearchBytes), format: format) else {
                throw DatasetError(.unreadableImage, path: path, "truncated: no \(format == .jpeg ? "EOI" : "IEND") marker in the last \(endSearchBytes) bytes")
            }
            return size
        } catch let error as DatasetError where error.kind != .unreadableImage {
            throw DatasetError(.unreadableImage, path: path, error.reason)
        }
    }

    /// The format and size of JPEG or PNG bytes from the header alone, so a caller can refuse an
    /// image by its size before decoding it; `path` is only used in error messages.
    public static func header(_ bytes: [UInt8], path: String) throws -> (format: ImageFormat, width: Int, height: Int) {
        guard let format = ImageFormat(signature: bytes) else {
            throw DatasetError(.unreadableImage, path: path, byteOffset: 0, bytes.isEmpty ? "empty file" : "neither a JPEG nor a PNG file (unknown signature)")
        }
        return try header(bytes, format: format, path: path)
    }

    /// How far from the end the end-of-image marker may lie; some cameras and tools append a
    /// little data after it, which decoders ignore.
    static let endSearchBytes = 1024

    /// True when `tail` holds JPEG's EOI marker (FF D9, which cannot occur inside entropy-coded
    /// data) or PNG's IEND chunk type.
    static func hasEndMarker(_ tail: [UInt8], format: ImageFormat) -> Bool {
        let marker: [UInt8] = format == .jpeg ? [0xFF, 0xD9] : Array("IEND".utf8)
        guard tail.count >= marker.count else { return false }
        return (0...(tail.count - marker.count)).contains { start in
            tail[start..<(start + marker.count)].elementsEqual(marker)
        }
    }

    private static func header(_ bytes: [UInt8], format: ImageFormat, path: String) throws -> (format: ImageFormat, width: Int, height: Int) {
        let size = format == .jpeg ? try JPEGCodec.header(bytes, path: path) : try PNGCodec.header(bytes, path: path)
        try checkSize(width: size.width, height: size.height, path: path)
        return (format, size.width, size.height)
    }
}
