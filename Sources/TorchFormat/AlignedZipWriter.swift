import CZlib

/// The zip container as torch.save writes it (PyTorch's `PyTorchStreamWriter`): every entry
/// stored uncompressed, its data starting on a 64-byte boundary thanks to an `FB` extra field of
/// padding in the local header (so a loader may map storages in place), CRC-32 in the headers,
/// no data descriptors; then the central directory and the end record. Timestamps are fixed
/// (1980-01-01 00:00), so the same entries always give the same bytes.
struct AlignedZipWriter {
    static let alignment = 64
    private static let dosDate: UInt16 = 0x21

    private(set) var bytes: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    mutating func add(_ name: String, _ data: some Collection<UInt8>) {
        let nameBytes = Array(name.utf8)
        let crc = Self.crc32(data)
        let offset = bytes.count
        // Local header (30 bytes) + name + the FB field's own 4 bytes, then padding up to alignment.
        let start = offset + 30 + nameBytes.count + 4
        let padding = (Self.alignment - start % Self.alignment) % Self.alignment
        appendLocalHeader(to: &bytes, name: nameBytes, crc: crc, size: data.count, extraLength: 4 + padding)
        bytes += [0x46, 0x42]  // "FB"
        Self.append(UInt32(padding), width: 2, to: &bytes)
        bytes += [UInt8](repeating: 0x5A, count: padding)  // 'Z', as PyTorch pads
        bytes += data
        appendDirectoryEntry(name: nameBytes, crc: crc, size: data.count, offset: offset)
        count += 1
    }

    /// The finished archive: entries, central directory, end record.
    func finished() -> [UInt8] {
        var result = bytes
        let directoryOffset = result.count
        result += directory
        Self.append(0x0605_4B50, width: 4, to: &result)
        Self.append(0, width: 4, to: &result)  // this disk, directory disk
        Self.append(UInt32(count), width: 2, to: &result)
        Self.append(UInt32(count), width: 2, to: &result)
        Self.append(UInt32(directory.count), width: 4, to: &result)
        Self.append(UInt32(directoryOffset), width: 4, to: &result)
        Self.append(0, width: 2, to: &result)  // comment length
        return result
    }

    /// The size beyond which the plain zip format's 32-bit offsets and the 16-bit entry count
    /// no longer hold (ZIP64 would be needed).
    static func fits(totalBytes: Int, entries: Int) -> Bool { totalBytes < 0xFFFF_FFFF && entries < 0xFFFF }

    private func appendLocalHeader(to output: inout [UInt8], name: [UInt8], crc: UInt32, size: Int, extraLength: Int) {
        Self.append(0x0403_4B50, width: 4, to: &output)
        Self.appendSharedFields(to: &output, crc: crc, size: size, nameLength: name.count, extraLength: extraLength)
        output += name
    }

    private mutating func appendDirectoryEntry(name: [UInt8], crc: UInt32, size: Int, offset: Int) {
        Self.append(0x0201_4B50, width: 4, to: &directory)
        Self.append(20, width: 2, to: &directory)  // version made by
        Self.appendSharedFields(to: &directory, crc: crc, size: size, nameLength: name.count, extraLength: 0)
        Self.append(0, width: 2, to: &directory)  // comment length
        Self.append(0, width: 2, to: &directory)  // disk
        Self.append(0, width: 2, to: &directory)  // internal attributes
        Self.append(0, width: 4, to: &directory)  // external attributes
        Self.append(UInt32(offset), width: 4, to: &directory)
        directory += name
    }

    /// The fields local headers and directory entries share, from "version needed" to the
    /// extra field's length.
    private static func appendSharedFields(to output: inout [UInt8], crc: UInt32, size: Int, nameLength: Int, extraLength: Int) {
        append(20, width: 2, to: &output)  // version needed: 2.0
        append(0, width: 2, to: &output)  // flags
        append(0, width: 2, to: &output)  // method: stored
        append(0, width: 2, to: &output)  // time
        append(UInt32(dosDate), width: 2, to: &output)
        append(crc, width: 4, to: &output)
        append(UInt32(size), width: 4, to: &output)  // compressed
        append(UInt32(size), width: 4, to: &output)  // uncompressed
        append(UInt32(nameLength), width: 2, to: &output)
        append(UInt32(extraLength), width: 2, to: &output)
    }

    private static func append(_ value: UInt32, width: Int, to output: inout [UInt8]) {
        for shift in 0..<width { output.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(shift)))) }
    }

    private static func crc32(_ data: some Collection<UInt8>) -> UInt32 {
        let bytes = Array(data)
        return bytes.withUnsafeBufferPointer { buffer in
            var crc = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let chunk = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(chunk))
                offset += chunk
            }
            return UInt32(crc)
        }
    }
}
