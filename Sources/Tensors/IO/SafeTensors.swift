import Foundation

/// Element types a safetensors file may hold that this project reads and writes.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case float32 = "F32", float64 = "F64", int64 = "I64", int32 = "I32", uint8 = "U8"

    public var byteCount: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .uint8: return 1
        }
    }
}

/// A problem with a safetensors file, naming the file and what is wrong with it.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// A parsed safetensors file: the JSON header (tensor names, dtypes, shapes, byte ranges, and the
/// `__metadata__` string map) over one byte buffer. See https://github.com/huggingface/safetensors.
public struct SafeTensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range within the data section.
        public let range: Range<Int>
    }

    /// Refuses headers larger than this, as the reference implementation does.
    public static let maximumHeaderSize = 100_000_000

    public let path: String
    public let metadata: [String: String]
    public let entries: [String: Entry]
    private let data: Data

    public init(contentsOf url: URL) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError(path: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(bytes: bytes, path: url.path)
    }

    /// Parses and validates a whole file's bytes; `path` names the source in errors.
    public init(bytes: Data, path: String) throws {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        self.path = path
        guard FileSignature.looksLikeSafeTensors(bytes) else {
            throw fail("not a safetensors file: it looks like \(FileSignature.describe(bytes))")
        }
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let headerEnd = 8 + Int(headerLength)
        guard headerEnd <= bytes.count else {
            throw fail("truncated: header claims \(headerLength) bytes but the file has \(bytes.count - 8) after the length")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes.subdata(in: bytes.startIndex + 8..<bytes.startIndex + headerEnd))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataSize = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw fail("__metadata__[\(key)] is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry \(name) is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail("entry \(name) has no dtype") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw fail("entry \(name) has unsupported dtype \(dtypeName) (supported: F32, F64, I64, I32, U8)")
            }
            guard let shapeValues = info["shape"] as? [Any] else { throw fail("entry \(name) has no shape") }
            var shape: [Int] = []
            for dimension in shapeValues {
                guard let size = Self.integer(dimension), size >= 0 else { throw fail("entry \(name) has an invalid shape \(shapeValues)") }
                shape.append(size)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]) else {
                throw fail("entry \(name) has invalid data_offsets")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("entry \(name) spans bytes \(begin)..<\(end), outside the \(dataSize)-byte data section")
            }
            var elements = 1
            for size in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow else { throw fail("entry \(name) has an impossibly large shape \(shape)") }
                elements = product
            }
            guard elements.multipliedReportingOverflow(by: dtype.byteCount) == (end - begin, false) else {
                throw fail("entry \(name): \(dtypeName) \(shape) needs \(elements * dtype.byteCount) bytes, offsets give \(end - begin)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: begin..<end)
        }
        // The data section must be covered exactly, without holes or overlaps.
        var position = 0
        for entry in entries.values.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
            guard entry.range.lowerBound == position else {
                throw fail(entry.range.lowerBound < position ? "tensor byte ranges overlap at byte \(entry.range.lowerBound)"
                                                             : "the data section has a hole at byte \(position)")
            }
            position = entry.range.upperBound
        }
        guard position == dataSize else { throw fail("the data section has \(dataSize - position) trailing bytes no tensor covers") }
        self.metadata = metadata
        self.entries = entries
        self.data = bytes.subdata(in: bytes.startIndex + headerEnd..<bytes.endIndex)
    }

    private static func integer(_ value: Any) -> Int? {
        if let number = value as? Int { return number }
        if let number = value as? Double, number == number.rounded(), Swift.abs(number) < 9e15 { return Int(number) }
        return nil
    }

    /// Tensor names, in storage order.
    public var names: [String] {
        entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }.map(\.key)
    }

    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw SafeTensorsError(path: path, reason: "no tensor named \(name)") }
        return entry
    }

    /// A tensor as Float32, converting from any supported dtype.
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        return Tensor(try floats(name), shape: entry.shape)
    }

    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        switch entry.dtype {
        case .float32: return load(entry, as: Float.self)
        case .float64: return load(entry, as: Double.self).map(Float.init)
        case .int64: return load(entry, as: Int64.self).map(Float.init)
        case .int32: return load(entry, as: Int32.self).map(Float.init)
        case .uint8: return load(entry, as: UInt8.self).map(Float.init)
        }
    }

    public func doubles(_ name: String) throws -> [Double] {
        let entry = try entry(name)
        switch entry.dtype {
        case .float32: return load(entry, as: Float.self).map(Double.init)
        case .float64: return load(entry, as: Double.self)
        case .int64: return load(entry, as: Int64.self).map(Double.init)
        case .int32: return load(entry, as: Int32.self).map(Double.init)
        case .uint8: return load(entry, as: UInt8.self).map(Double.init)
        }
    }

    /// An integer tensor's values; floating-point tensors are an error.
    public func integers(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        switch entry.dtype {
        case .int64: return load(entry, as: Int64.self)
        case .int32: return load(entry, as: Int32.self).map(Int64.init)
        case .uint8: return load(entry, as: UInt8.self).map(Int64.init)
        case .float32, .float64:
            throw SafeTensorsError(path: path, reason: "tensor \(name) is \(entry.dtype.rawValue), expected an integer dtype")
        }
    }

    /// Little-endian elements of one entry (every platform we build for is little-endian).
    private func load<T>(_ entry: Entry, as type: T.Type) -> [T] {
        let count = entry.range.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                let source = raw.baseAddress! + entry.range.lowerBound
                memcpy(buffer.baseAddress!, source, entry.range.count)
            }
            initialized = count
        }
    }
}

/// Builds a safetensors file in memory and writes it atomically.
public struct SafeTensorsWriter {
    private var tensors: [(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: Data)] = []
    public var metadata: [String: String] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    public mutating func add(_ name: String, _ tensor: Tensor) {
        add(name, dtype: .float32, shape: tensor.shape, values: tensor.scalars)
    }

    public mutating func add(_ name: String, doubles: [Double], shape: [Int]) {
        add(name, dtype: .float64, shape: shape, values: doubles)
    }

    public mutating func add(_ name: String, int64s: [Int64], shape: [Int]) {
        add(name, dtype: .int64, shape: shape, values: int64s)
    }

    public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) {
        add(name, dtype: .int32, shape: shape, values: int32s)
    }

    public mutating func add(_ name: String, bytes: [UInt8], shape: [Int]) {
        add(name, dtype: .uint8, shape: shape, values: bytes)
    }

    private mutating func add<T>(_ name: String, dtype: SafeTensorsDType, shape: [Int], values: [T]) {
        precondition(name != "__metadata__", "SafeTensorsWriter: __metadata__ is reserved")
        precondition(!tensors.contains { $0.name == name }, "SafeTensorsWriter: duplicate tensor name \(name)")
        precondition(shape.reduce(1, *) == values.count, "SafeTensorsWriter: \(name) has \(values.count) values for shape \(shape)")
        tensors.append((name, dtype, shape, values.withUnsafeBytes { Data($0) }))
    }

    /// The file's bytes: length, JSON header padded with spaces to 8-byte alignment, data.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for tensor in tensors {
            header[tensor.name] = ["dtype": tensor.dtype.rawValue, "shape": tensor.shape,
                                   "data_offsets": [offset, offset + tensor.bytes.count]] as [String: Any]
            offset += tensor.bytes.count
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var result = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { result.append(contentsOf: $0) }
        result.append(json)
        for tensor in tensors { result.append(tensor.bytes) }
        return result
    }

    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(), to: url)
    }
}
