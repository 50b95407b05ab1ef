import Foundation

/// TFRecord framing, the container of TensorBoard event files: per record, the payload length
/// (little-endian UInt64), its masked CRC-32C, the payload, and the payload's masked CRC-32C.
public enum TFRecord {
    /// One framed record.
    public static func frame(_ payload: Data) -> Data {
        var length = UInt64(payload.count).littleEndian
        let header = withUnsafeBytes(of: &length) { Data($0) }
        var record = header
        record.append(littleEndian: MaskedCRC32C.masked(header))
        record.append(payload)
        record.append(littleEndian: MaskedCRC32C.masked(payload))
        return record
    }

    /// The payloads of `data`'s records, up to the first one that is incomplete or fails its
    /// checksums (the torn end of a file a crash interrupted).
    public static func payloads(_ data: Data) -> [Data] {
        let bytes = [UInt8](data)
        var payloads: [Data] = [], offset = 0
        func word<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T {
            (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[position + $1]) << (8 * $1) }
        }
        while offset + 16 <= bytes.count {
            let length = word(UInt64.self, at: offset)
            guard word(UInt32.self, at: offset + 8) == MaskedCRC32C.masked(bytes[offset..<(offset + 8)]),
                  length <= UInt64(bytes.count - offset - 16) else { break }
            let start = offset + 12, end = start + Int(length)
            guard word(UInt32.self, at: end) == MaskedCRC32C.masked(bytes[start..<end]) else { break }
            payloads.append(Data(bytes[start..<end]))
            offset = end + 4
        }
        return payloads
    }
}

extension Data {
    mutating func append(littleEndian value: UInt32) {
        var word = value.littleEndian
        Swift.withUnsafeBytes(of: &word) { append(contentsOf: $0) }
    }
}
