/// The width and height a PNG or JPEG header claims, read from the bytes alone (PNG's IHDR, a
/// JPEG's start-of-frame marker) before any decoder sees them. The server refuses an oversized
/// claim with 413 (`--max-image-side`) here, because the decoder's own checks would report a
/// hostile header as an unreadable image (422).
enum ClaimedImageSize {
    static func of(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        png(bytes) ?? jpeg(bytes)
    }

    private static func bigEndian(_ bytes: [UInt8], _ offset: Int, count: Int) -> Int {
        (offset..<(offset + count)).reduce(0) { $0 << 8 | Int(bytes[$1]) }
    }

    /// The 8-byte signature, then the IHDR chunk: length, "IHDR", width and height (32-bit).
    private static func png(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 24, bytes.starts(with: signature), bytes[12..<16].elementsEqual("IHDR".utf8) else { return nil }
        return (bigEndian(bytes, 16, count: 4), bigEndian(bytes, 20, count: 4))
    }

    /// Walks the marker segments after SOI to the first start-of-frame (SOF0-SOF15 but DHT, JPG
    /// and DAC), whose payload holds precision, height and width (16-bit).
    private static func jpeg(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF {
                offset += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                offset += 2
                continue
            }
            let length = bigEndian(bytes, offset + 2, count: 2)
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard length >= 7, offset + 9 <= bytes.count else { return nil }
                return (bigEndian(bytes, offset + 7, count: 2), bigEndian(bytes, offset + 5, count: 2))
            }
            guard marker != 0xDA, length >= 2 else { return nil }
            offset += 2 + length
        }
        return nil
    }
}
