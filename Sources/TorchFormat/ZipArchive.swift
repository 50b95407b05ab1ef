import CZlib

/// The zip container `torch.save` writes (PyTorch >= 1.6): entries found through the central
/// directory (ZIP64 included), stored or deflated, each checked against its CRC-32.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let compressedSize: Int
        let size: Int
        let crc: UInt32
        let localHeaderOffset: Int
    }

    let bytes: [UInt8]
    let path: String
    let entries: [String: Entry]
    /// Entry names in central-directory order.
    let names: [String]

    /// Deflate cannot expand data more than about 1032 times; an announced size beyond that is a lie.
    private static let maximumDeflateRatio = 1032

    static func isZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    init(bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        self.path = path
        func failure(_ reason: String) -> TorchFormatError { TorchFormatError(path: path, "zip archive: \(reason)") }
        // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
        let searchStart = max(0, bytes.count - 22 - 65_535)
        guard bytes.count >= 22,
              let end = stride(from: bytes.count - 22, through: searchStart, by: -1).first(where: { Self.signature(bytes, at: $0, 0x0605_4B50) })
        else { throw failure("no end-of-central-directory record (truncated?)") }
        var record = ByteCursor(bytes, path: path, context: "zip end record", offset: end + 10)
        var count = Int(try record.unsigned(2))
        var directorySize = Int(try record.unsigned(4))
        var directoryOffset = Int(try record.unsigned(4))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the end record points at the ZIP64 end record.
            guard end >= 20, Self.signature(bytes, at: end - 20, 0x0706_4B50) else { throw failure("ZIP64 locator missing") }
            var locator = ByteCursor(bytes, path: path, context: "zip64 locator", offset: end - 12)
            let recordOffset = try locator.unsigned(8)
            guard recordOffset < UInt64(bytes.count), Self.signature(bytes, at: Int(recordOffset), 0x0606_4B50) else {
                throw failure("ZIP64 end record missing")
            }
            var zip64 = ByteCursor(bytes, path: path, context: "zip64 end record", offset: Int(recordOffset) + 32)
            count = try Self.size(zip64.unsigned(8), failure)
            directorySize = try Self.size(zip64.unsigned(8), failure)
            directoryOffset = try Self.size(zip64.unsigned(8), failure)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset, count <= directorySize / 46 + 1 else {
            throw failure("the central directory (\(count) entries, \(directorySize) bytes at \(directoryOffset)) lies outside the \(bytes.count)-byte file")
        }
        var cursor = ByteCursor(bytes, path: path, context: "zip central directory", offset: directoryOffset)
        var entries: [String: Entry] = [:]
        var names: [String] = []
        for _ in 0..<count {
            let at = cursor.offset
            guard try cursor.unsigned(4) == 0x0201_4B50 else { throw failure("bad central-directory entry at byte \(at)") }
            _ = try cursor.take(4)
            let flags = try cursor.unsigned(2)
            let method = UInt16(try cursor.unsigned(2))
            _ = try cursor.take(4)
            let crc = UInt32(try cursor.unsigned(4))
            var compressedSize = try cursor.unsigned(4)
            var size = try cursor.unsigned(4)
            let nameLength = Int(try cursor.unsigned(2))
            let extraLength = Int(try cursor.unsigned(2))
            let commentLength = Int(try cursor.unsigned(2))
            _ = try cursor.take(8)
            var localOffset = try cursor.unsigned(4)
            let name = String(decoding: try cursor.take(nameLength), as: UTF8.self)
            var extra = ByteCursor(Array(try cursor.take(extraLength)), path: path, context: "zip extra field of \(name)")
            _ = try cursor.take(commentLength)
            while extra.remaining >= 4 {
                let tag = try extra.unsigned(2)
                let length = Int(try extra.unsigned(2))
                var field = ByteCursor(Array(try extra.take(length)), path: path, context: "zip64 field of \(name)")
                guard tag == 0x0001 else { continue }
                if size == 0xFFFF_FFFF { size = try field.unsigned(8) }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try field.unsigned(8) }
                if localOffset == 0xFFFF_FFFF { localOffset = try field.unsigned(8) }
            }
            guard flags & 1 == 0 else { throw failure("entry \(name) is encrypted") }
            guard method == 0 || method == 8 else { throw failure("entry \(name) uses compression method \(method); only stored (0) and deflate (8) are read") }
            let entry = Entry(name: name, method: method, compressedSize: try Self.size(compressedSize, failure),
                              size: try Self.size(size, failure), crc: crc, localHeaderOffset: try Self.size(localOffset, failure))
            guard entries[name] == nil else { throw failure("entry \(name) appears twice") }
            entries[name] = entry
            names.append(name)
        }
        self.entries = entries
        self.names = names
    }

    private static func signature(_ bytes: [UInt8], at offset: Int, _ value: UInt32) -> Bool {
        guard offset >= 0, offset + 4 <= bytes.count else { return false }
        return (0..<4).allSatisfy { bytes[offset + $0] == UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }

    private static func size(_ value: UInt64, _ failure: (String) -> TorchFormatError) throws -> Int {
        guard value <= UInt64(Int.max / 2) else { throw failure("size or offset \(value) is impossibly large") }
        return Int(value)
    }

    /// The uncompressed bytes of one entry, after checking its local header, bounds and CRC-32.
    func contents(of name: String) throws -> ArraySlice<UInt8> {
        func failure(_ reason: String) -> TorchFormatError { TorchFormatError(path: path, "zip entry \(name): \(reason)") }
        guard let entry = entries[name] else { throw TorchFormatError(path: path, "zip archive has no entry \(name)") }
        guard Self.signature(bytes, at: entry.localHeaderOffset, 0x0403_4B50) else {
            throw failure("no local header at byte \(entry.localHeaderOffset)")
        }
        var header = ByteCursor(bytes, path: path, context: "zip local header of \(name)", offset: entry.localHeaderOffset + 26)
        let nameLength = Int(try header.unsigned(2))
        let extraLength = Int(try header.unsigned(2))
        let start = header.offset + nameLength + extraLength
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw failure("data (\(entry.compressedSize) bytes at \(start)) runs past the end of the \(bytes.count)-byte file")
        }
        let raw = bytes[start..<start + entry.compressedSize]
        let data: ArraySlice<UInt8>
        if entry.method == 0 {
            guard entry.size == entry.compressedSize else { throw failure("stored entry with different sizes \(entry.size) and \(entry.compressedSize)") }
            data = raw
        } else {
            guard entry.size <= Self.maximumDeflateRatio * entry.compressedSize + 64 else {
                throw failure("announces \(entry.size) bytes from \(entry.compressedSize) compressed, beyond what deflate can produce")
            }
            data = try RawInflate.inflate(raw, expectedSize: entry.size, path: path, entry: name)[...]
        }
        let checksum = data.withUnsafeBufferPointer { buffer -> UInt32 in
            var crc = crc32(0, nil, 0)
            var offset = 0
            // zlib's length is 32-bit: feed it in chunks.
            while offset < buffer.count {
                let chunk = min(buffer.count - offset, 1 << 30)
                crc = crc32(crc, buffer.baseAddress! + offset, UInt32(chunk))
                offset += chunk
            }
            return UInt32(crc)
        }
        guard checksum == entry.crc else {
            throw failure("CRC-32 mismatch (file corrupted): stored \(String(entry.crc, radix: 16)), computed \(String(checksum, radix: 16))")
        }
        return data
    }
}
