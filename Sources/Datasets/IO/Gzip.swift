import CZlib

/// gzip decompression through zlib, for `.gz` IDX files.
enum Gzip {
    /// True when the bytes start with the gzip magic number 1f 8b.
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed bytes of every gzip member in `bytes`. Errors name `path` and the
    /// compressed byte offset where zlib stopped.
    static func decompress(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(expectedSize(bytes))
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(.malformed, path: path, "zlib could not start: out of memory")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        var scratch = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let status = scratch.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out.prefix(chunk - Int(stream.avail_out)))
                    return status
                }
                consumed = input.count - Int(stream.avail_in)
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member may follow (gzip files can be concatenated).
                    guard stream.avail_in >= 2, input[consumed] == 0x1F, input[consumed + 1] == 0x8B else { return }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DatasetError(.truncated, path: path, byteOffset: consumed,
                                       "gzip stream ends early (\(output.count) bytes decompressed)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DatasetError(.malformed, path: path, byteOffset: consumed, "corrupt gzip data: \(message)")
                }
            }
        }
        return output
    }

    /// The size the gzip trailer announces (modulo 2^32), capped so a corrupt trailer cannot
    /// reserve gigabytes.
    private static func expectedSize(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 18 else { return 0 }
        let n = bytes.count
        let announced = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
        return min(announced, 64 * bytes.count + (1 << 20))
    }
}
