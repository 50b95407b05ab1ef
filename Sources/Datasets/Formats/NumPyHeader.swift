/// The header of a `.npy` file: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
///
/// Parsed with a small recursive-descent reader for exactly the literals NumPy writes (strings,
/// booleans, integers and tuples of integers); anything else is a malformed header.
struct NumPyHeader {
    let descriptor: String
    let fortranOrder: Bool
    let shape: [Int]

    /// A parsed literal value.
    private enum Value {
        case string(String)
        case boolean(Bool)
        case integer(Int)
        case tuple([Value])
    }

    /// Parses `text`, which starts at byte `offset` of the file at `path` (for error messages).
    init(text: [UInt8], offset: Int, path: String) throws {
        var parser = Parser(bytes: text, offset: offset, path: path)
        let entries = try parser.dictionary()
        func entry(_ key: String) throws -> Value {
            guard let value = entries[key] else {
                throw DatasetError(.malformed, path: path, byteOffset: offset, "npy header has no '\(key)' entry")
            }
            return value
        }
        guard case .string(let descriptor) = try entry("descr") else {
            throw DatasetError(.unsupported, path: path, byteOffset: offset, "npy 'descr' is not a simple type (structured arrays are not supported)")
        }
        guard case .boolean(let fortranOrder) = try entry("fortran_order") else {
            throw DatasetError(.malformed, path: path, byteOffset: offset, "npy 'fortran_order' is not True or False")
        }
        guard case .tuple(let dimensions) = try entry("shape") else {
            throw DatasetError(.malformed, path: path, byteOffset: offset, "npy 'shape' is not a tuple")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension, size >= 0 else {
                throw DatasetError(.malformed, path: path, byteOffset: offset, "npy 'shape' holds a value that is not a non-negative integer")
            }
            shape.append(size)
        }
        self.descriptor = descriptor
        self.fortranOrder = fortranOrder
        self.shape = shape
    }

    private struct Parser {
        let bytes: [UInt8]
        let offset: Int
        let path: String
        var position = 0
        /// Tuples nested deeper than this are rejected, so hostile headers cannot exhaust the stack.
        private var depth = 0

        init(bytes: [UInt8], offset: Int, path: String) {
            self.bytes = bytes
            self.offset = offset
            self.path = path
        }

        mutating func dictionary() throws -> [String: Value] {
            try expect(UInt8(ascii: "{"))
            var entries: [String: Value] = [:]
            while try peek() != UInt8(ascii: "}") {
                guard case .string(let key) = try value() else { throw failure("a dict key is not a string") }
                try expect(UInt8(ascii: ":"))
                entries[key] = try value()
                if try peek() == UInt8(ascii: ",") { position += 1 }
            }
            position += 1
            return entries
        }

        private mutating func value() throws -> Value {
            let next = try peek()
            switch next {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try string(quote: next))
            case UInt8(ascii: "("):
                return .tuple(try tuple())
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .integer(try integer())
            default:
                let word = identifier()
                switch word {
                case "True": return .boolean(true)
                case "False": return .boolean(false)
                default: throw failure("unexpected '\(word.isEmpty ? String(UnicodeScalar(next)) : word)'")
                }
            }
        }

        private mutating func string(quote: UInt8) throws -> String {
            position += 1
            let start = position
            while position < bytes.count && bytes[position] != quote { position += 1 }
            guard position < bytes.count else { throw failure("unterminated string") }
            defer { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        private mutating func tuple() throws -> [Value] {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 4 else { throw failure("tuples nested too deeply") }
            position += 1
            var items: [Value] = []
            while try peek() != UInt8(ascii: ")") {
                items.append(try value())
                if try peek() == UInt8(ascii: ",") { position += 1 }
            }
            position += 1
            return items
        }

        private mutating func integer() throws -> Int {
            var result = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                let (scaled, overflow1) = result.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = scaled.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else { throw failure("integer too large") }
                result = sum
                position += 1
            }
            // Python 2 wrote long integers with an L suffix.
            if position < bytes.count && bytes[position] == UInt8(ascii: "L") { position += 1 }
            return result
        }

        private mutating func identifier() -> String {
            let start = position
            while position < bytes.count, (UInt8(ascii: "A")...UInt8(ascii: "z")).contains(bytes[position]) { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// The next non-space byte, without consuming it.
        private mutating func peek() throws -> UInt8 {
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
            guard position < bytes.count else { throw failure("header ends inside the dict") }
            return bytes[position]
        }

        private mutating func expect(_ byte: UInt8) throws {
            guard try peek() == byte else { throw failure("expected '\(UnicodeScalar(byte))'") }
            position += 1
        }

        private func failure(_ reason: String) -> DatasetError {
            DatasetError(.malformed, path: path, byteOffset: offset + position, "bad npy header: \(reason)")
        }
    }
}
