import CZlib

/// Raw deflate (zip method 8) through zlib, into a buffer of exactly the size the archive
/// announces: more or fewer bytes are an error, so a crafted entry cannot inflate past it.
enum RawInflate {
    static func inflate(_ input: ArraySlice<UInt8>, expectedSize: Int, path: String, entry: String) throws -> [UInt8] {
        func failure(_ reason: String) -> TorchFormatError { TorchFormatError(path: path, "zip entry \(entry): \(reason)") }
        guard input.count <= Int(UInt32.max), expectedSize < Int(UInt32.max) else {
            throw failure("larger than 4 GB compressed or inflated; save it without compression")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw failure("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // One spare byte detects streams longer than announced.
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        let produced = Int(stream.total_out)
        switch status {
        case Z_STREAM_END where produced == expectedSize:
            output.removeLast()
            return output
        case Z_STREAM_END:
            throw failure("inflates to \(produced) bytes, the archive announces \(expectedSize)")
        case Z_BUF_ERROR where produced > expectedSize:
            throw failure("inflates to more than the \(expectedSize) bytes the archive announces")
        case Z_BUF_ERROR, Z_OK:
            throw failure("deflate stream ends early (\(produced) of \(expectedSize) bytes)")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw failure("corrupt deflate data: \(message)")
        }
    }
}
