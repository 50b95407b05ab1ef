/// An IDX file (the MNIST format), raw or gzipped: magic bytes 0, 0, a type code and the number of
/// dimensions, then each dimension as a big-endian UInt32, then the data. Only unsigned bytes
/// (type 0x08), which every MNIST-style dataset uses, are supported.
public struct IDXFile: Sendable {
    public let path: String
    public let dimensions: [Int]
    /// The data bytes, row-major.
    public let bytes: [UInt8]

    public init(contentsOf path: String) throws {
        try self.init(fileBytes: try FileBytes.read(path), path: path)
    }

    /// Parses the bytes of an IDX file (gzipped or not); `path` is only used in error messages.
    /// Offsets in errors are in the decompressed stream.
    public init(fileBytes: [UInt8], path: String) throws {
        let bytes = Gzip.isCompressed(fileBytes) ? try Gzip.decompress(fileBytes, path: path) : fileBytes
        let place = Gzip.isCompressed(fileBytes) ? " (decompressed)" : ""
        self.path = path
        guard bytes.count >= 4 else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count, "file ends inside the IDX magic number\(place)")
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[3] > 0 else {
            throw DatasetError(.malformed, path: path, byteOffset: 0,
                               "not an IDX file (wrong magic number \(Self.hex(bytes[0..<4])))")
        }
        guard bytes[2] == 0x08 else {
            throw DatasetError(.unsupported, path: path, byteOffset: 2,
                               "IDX data type 0x\(String(bytes[2], radix: 16)) is not supported (only unsigned bytes, 0x08)")
        }
        let rank = Int(bytes[3])
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count, "file ends inside the IDX dimensions\(place)")
        }
        var dimensions: [Int] = []
        var count = 1
        for axis in 0..<rank {
            let start = 4 + 4 * axis
            let size = Int(bytes[start]) << 24 | Int(bytes[start + 1]) << 16 | Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
            dimensions.append(size)
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw DatasetError(.malformed, path: path, byteOffset: start, "IDX dimensions \(dimensions) are too large") }
            count = product
        }
        guard bytes.count - dataStart >= count else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count,
                               "dimensions \(dimensions) need \(count) data bytes from byte \(dataStart)\(place), the file has \(bytes.count - dataStart)")
        }
        guard bytes.count - dataStart == count else {
            throw DatasetError(.malformed, path: path, byteOffset: dataStart + count,
                               "\(bytes.count - dataStart - count) unexpected bytes after the data\(place)")
        }
        self.dimensions = dimensions
        self.bytes = Array(bytes[dataStart...])
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}
