import Tensors

/// An array read from NumPy's `.npy` format (versions 1.0, 2.0 and 3.0).
///
/// Supported element types: uint8, int32, int64, float32 and float64, little- or big-endian, in C
/// or Fortran order. Elements are stored in C (row-major) order and native byte order once read,
/// so the accessors are plain copies.
public struct NumPyArray: Sendable {
    public enum ElementType: String, Sendable {
        case uint8, int32, int64, float32, float64

        var byteCount: Int {
            switch self {
            case .uint8: 1
            case .int32, .float32: 4
            case .int64, .float64: 8
            }
        }
    }

    public let path: String
    public let shape: [Int]
    public let elementType: ElementType
    /// Elements in C order, native byte order.
    private let payload: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    public init(contentsOf path: String) throws {
        try self.init(bytes: try FileBytes.read(path), path: path)
    }

    /// Parses the bytes of a `.npy` file; `path` is only used in error messages.
    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DatasetError(.malformed, path: path, byteOffset: 0, "not a .npy file (wrong magic number)")
        }
        let major = bytes[6]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw DatasetError(.unsupported, path: path, byteOffset: 6, "npy format version \(major).\(bytes[7]) is not supported")
        }
        let headerStart = 8 + lengthBytes
        guard bytes.count >= headerStart else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count, "file ends inside the npy preamble")
        }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let dataStart = headerStart + headerLength
        guard bytes.count >= dataStart else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count,
                               "file ends inside the npy header, which announces \(headerLength) bytes")
        }
        let header = try NumPyHeader(text: Array(bytes[headerStart..<dataStart]), offset: headerStart, path: path)
        let (type, bigEndian) = try Self.elementType(header.descriptor, path: path, offset: headerStart)
        var count = 1
        for size in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int.max / 8 else {
                throw DatasetError(.malformed, path: path, byteOffset: headerStart, "npy shape \(header.shape) is too large")
            }
            count = product
        }
        let dataBytes = count * type.byteCount
        guard bytes.count - dataStart >= dataBytes else {
            throw DatasetError(.truncated, path: path, byteOffset: bytes.count,
                               "shape \(header.shape) of \(type.rawValue) needs \(dataBytes) data bytes from byte \(dataStart), the file has \(bytes.count - dataStart)")
        }
        guard bytes.count - dataStart == dataBytes else {
            throw DatasetError(.malformed, path: path, byteOffset: dataStart + dataBytes,
                               "\(bytes.count - dataStart - dataBytes) unexpected bytes after the data")
        }
        var data = Array(bytes[dataStart...])
        if bigEndian && type.byteCount > 1 { Self.swapBytes(&data, width: type.byteCount) }
        if header.fortranOrder && header.shape.count > 1 {
            data = Self.fortranToC(data, shape: header.shape, width: type.byteCount)
        }
        shape = header.shape
        elementType = type
        payload = data
    }

    /// The elements of a uint8 array.
    public func uint8s() throws -> [UInt8] {
        guard elementType == .uint8 else { throw typeMismatch("uint8") }
        return payload
    }

    /// The elements of an integer array (uint8, int32 or int64), widened to Int64.
    public func integers() throws -> [Int64] {
        switch elementType {
        case .uint8: return payload.map(Int64.init)
        case .int32: return elements(Int32.self).map(Int64.init)
        case .int64: return elements(Int64.self)
        case .float32, .float64: throw typeMismatch("an integer type")
        }
    }

    /// The elements of a float32 array.
    public func floats() throws -> [Float] {
        guard elementType == .float32 else { throw typeMismatch("float32") }
        return elements(Float.self)
    }

    /// The elements of a floating-point array (float32 or float64), as Double.
    public func doubles() throws -> [Double] {
        switch elementType {
        case .float32: return elements(Float.self).map(Double.init)
        case .float64: return elements(Double.self)
        default: throw typeMismatch("a floating-point type")
        }
    }

    private func elements<T>(_: T.Type) -> [T] {
        payload.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                let destination = UnsafeMutableRawBufferPointer(buffer)
                destination.copyMemory(from: raw)
                initialized = count
            }
        }
    }

    private func typeMismatch(_ wanted: String) -> DatasetError {
        DatasetError(.malformed, path: path, "holds \(elementType.rawValue), expected \(wanted)")
    }

    /// Decodes a dtype descriptor such as `<f4` or `|u1`.
    private static func elementType(_ descriptor: String, path: String, offset: Int) throws -> (ElementType, bigEndian: Bool) {
        let characters = Array(descriptor)
        let unsupported = DatasetError(.unsupported, path: path, byteOffset: offset,
                                       "npy element type '\(descriptor)' is not supported (uint8, int32, int64, float32, float64)")
        guard characters.count >= 3, "<>|=".contains(characters[0]) else { throw unsupported }
        let type: ElementType
        switch String(characters[1...]) {
        case "u1", "B": type = .uint8
        case "i4": type = .int32
        case "i8": type = .int64
        case "f4": type = .float32
        case "f8": type = .float64
        default: throw unsupported
        }
        return (type, characters[0] == ">")
    }

    private static func swapBytes(_ data: inout [UInt8], width: Int) {
        data.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                var low = start, high = start + width - 1
                while low < high {
                    buffer.swapAt(low, high)
                    low += 1
                    high -= 1
                }
                start += width
            }
        }
    }

    /// Reorders column-major elements into row-major order: walks the C-order index, keeping
    /// the matching Fortran offset (`StridedOdometer`).
    private static func fortranToC(_ data: [UInt8], shape: [Int], width: Int) -> [UInt8] {
        let count = shape.reduce(1, *)
        guard count > 0 else { return data }
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        var result = [UInt8](repeating: 0, count: data.count)
        var odometer = StridedOdometer(shape: shape, strides: fortranStrides)
        data.withUnsafeBytes { input in
            result.withUnsafeMutableBytes { output in
                var element = 0
                odometer.forEach(count) { source in
                    (output.baseAddress! + element * width).copyMemory(from: input.baseAddress! + source * width, byteCount: width)
                    element += 1
                }
            }
        }
        return result
    }
}
