import CZlib

extension PNGCodec {
    /// Encodes like `encode(_:width:height:channels:)` and adds one `tEXt` chunk per entry right
    /// after the header, where viewers and `pngcheck -t`, PIL's `Image.text` and exiftool find
    /// them. Keywords are cut to PNG's 79 characters; characters outside Latin-1 become '?'.
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                              text: [(key: String, value: String)]) throws -> [UInt8] {
        let png = try encode(pixels, width: width, height: height, channels: channels)
        // The signature (8 bytes) and the IHDR chunk (4 length, 4 type, 13 data, 4 CRC) come first.
        let headerEnd = 8 + 25
        var output = Array(png[..<headerEnd])
        for entry in text {
            let keyword = latin1(String(entry.key.prefix(79)))
            output += chunk(type: "tEXt", data: keyword + [0] + latin1(entry.value))
        }
        output += png[headerEnd...]
        return output
    }

    static func chunk(type: String, data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let checksum = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(checksum)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func latin1(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { $0.value < 256 && $0.value != 0 ? UInt8($0.value) : UInt8(ascii: "?") }
    }
}
