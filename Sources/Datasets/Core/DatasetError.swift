/// Why a dataset, or one of its files, could not be used.
///
/// Everything a user supplies (directories, binary files, images) fails with this error instead of
/// trapping. The description is one line that names the file and, where it applies, the record and
/// the byte offset, so the CLI can print it as it is and the user knows where to look.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A directory or file that should exist does not.
        case missing
        /// The bytes do not follow the format: wrong magic number, record size, header or shape.
        case malformed
        /// The file ends before the data it announces.
        case truncated
        /// A label is not a valid class index.
        case labelOutOfRange
        /// An image file cannot be decoded.
        case unreadableImage
        /// A valid file that uses a feature this reader does not implement (an IDX or npy data type).
        case unsupported
        /// A request that cannot be served: a split the dataset lacks, a transform that cannot
        /// produce fixed-size batches.
        case invalidRequest
    }

    public let kind: Kind
    /// The file or directory concerned (for an invalid request, what was asked for).
    public let path: String
    /// The zero-based record (sample) index, for per-record formats.
    public let record: Int?
    /// The byte offset in the file (in the decompressed stream for gzipped files).
    public let byteOffset: Int?
    public let reason: String

    public init(_ kind: Kind, path: String, record: Int? = nil, byteOffset: Int? = nil, _ reason: String) {
        self.kind = kind
        self.path = path
        self.record = record
        self.byteOffset = byteOffset
        self.reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String {
        var location = path
        if let record { location += ", record \(record)" }
        if let byteOffset { location += ", byte \(byteOffset)" }
        return "\(location): \(reason)"
    }
}
