/// Bounds-checked little-endian reads from a byte array; every read past the end throws a
/// truncation error naming the file and the offset.
struct ByteCursor {
    let bytes: [UInt8]
    let path: String
    /// What is being read, for messages ("data.pkl", "the legacy header").
    let context: String
    private(set) var offset: Int

    init(_ bytes: [UInt8], path: String, context: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.context = context
        self.offset = offset
    }

    var isAtEnd: Bool { offset >= bytes.count }
    var remaining: Int { bytes.count - offset }

    func failure(_ reason: String) -> TorchFormatError {
        TorchFormatError(path: path, "\(context): \(reason)")
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw failure("truncated at byte \(offset): \(count) bytes needed, \(max(remaining, 0)) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func byte() throws -> UInt8 { try take(1).first! }

    /// An unsigned little-endian integer of `count` bytes (at most 8).
    mutating func unsigned(_ count: Int) throws -> UInt64 {
        try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    mutating func int32() throws -> Int32 { Int32(truncatingIfNeeded: try unsigned(4)) }
    mutating func int64() throws -> Int64 { Int64(bitPattern: try unsigned(8)) }
}
