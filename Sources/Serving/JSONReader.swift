import Foundation

/// A strict RFC 8259 JSON parser over bytes, written for request bodies: numbers are read
/// straight from the digits (no string or object per number), tensor data goes into one flat
/// `[Float]`, and nesting is limited so that no body can exhaust the stack. Memory stays a small
/// multiple of the body: at most one FP32 per two bytes of numbers.
struct JSONReader {
    /// Why a body is not JSON, with the byte offset, for the one-line 400.
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    /// Deeper nesting is refused (a [N, C, H, W] tensor nests 5 deep inside a request).
    static let maximumDepth = 64

    /// Parses `bytes` as one JSON value; arrays that are the value of a member named in
    /// `tensorKeys` and hold only numbers become `.numbers`.
    static func parse(_ bytes: [UInt8], tensorKeys: Set<String> = []) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer, tensorKeys: tensorKeys)
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.offset == buffer.count else { throw reader.failure("unexpected data after the JSON value") }
            return value
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let tensorKeys: Set<String>
    private var offset = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, tensorKeys: Set<String>) {
        self.bytes = bytes
        self.tensorKeys = tensorKeys
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: offset, reason: reason) }

    private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard current == byte else { throw failure("expected \(what)") }
        offset += 1
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard let byte = current else { throw failure("unexpected end of the body") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return .number(try number())
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count, (0..<count).allSatisfy({ bytes[offset + $0] == text.utf8Start[$0] }) else {
            throw failure("invalid literal")
        }
        offset += count
        return value
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        offset += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            if tensorKeys.contains(key), current == UInt8(ascii: "["), let numbers = try numericArray(depth: depth + 1) {
                members[key] = .numbers(numbers)
            } else {
                members[key] = try value(depth: depth)
            }
            skipWhitespace()
            guard let next = current else { throw failure("unexpected end of the body") }
            offset += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw failure("expected ',' or '}'") }
        }
    }

    private mutating func array(depth: Int) throws -> [JSONValue] {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return elements
        }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard let next = current else { throw failure("unexpected end of the body") }
            offset += 1
            if next == UInt8(ascii: "]") { return elements }
            guard next == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
        }
    }

    /// The numbers of a flat or nested array, flattened; nil (and the offset back at the array)
    /// if it holds anything but numbers and arrays, which the general parser then reads.
    private mutating func numericArray(depth: Int) throws -> [Float]? {
        let start = offset
        var values: [Float] = []
        guard try appendNumbers(to: &values, depth: depth) else {
            offset = start
            return nil
        }
        return values
    }

    private mutating func appendNumbers(to values: inout [Float], depth: Int) throws -> Bool {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        offset += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return true
        }
        while true {
            skipWhitespace()
            guard let byte = current else { throw failure("unexpected end of the body") }
            if byte == UInt8(ascii: "[") {
                guard try appendNumbers(to: &values, depth: depth + 1) else { return false }
            } else if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                values.append(Float(try number()))
            } else {
                return false
            }
            skipWhitespace()
            guard let next = current else { throw failure("unexpected end of the body") }
            offset += 1
            if next == UInt8(ascii: "]") { return true }
            guard next == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
        }
    }

    /// Exact powers of ten for Clinger's fast path: a mantissa below 2^53 times or over one of
    /// these is the correctly rounded double.
    private static let powersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    /// A JSON number. Up to 19 significant digits are gathered in an integer; the common case
    /// (a mantissa below 2^53 and a decimal exponent within ±22) is converted exactly by one
    /// multiplication or division, the rest by the standard library's correctly rounded parser.
    private mutating func number() throws -> Double {
        let start = offset
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0
        guard let first = current, first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") else { throw failure("invalid value") }
        if first == UInt8(ascii: "0") {
            offset += 1
        } else {
            while let byte = current, byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                    if mantissa != 0 { digits += 1 }
                } else {
                    exponent += 1
                }
                offset += 1
            }
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            var fractionDigits = 0
            while let byte = current, byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                }
                fractionDigits += 1
                offset += 1
            }
            guard fractionDigits > 0 else { throw failure("a number needs digits after its '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            var exponentNegative = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentNegative = current == UInt8(ascii: "-")
                offset += 1
            }
            var written = 0, exponentDigits = 0
            while let byte = current, byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if written < 100_000 { written = written * 10 + Int(byte - UInt8(ascii: "0")) }
                exponentDigits += 1
                offset += 1
            }
            guard exponentDigits > 0 else { throw failure("a number needs digits in its exponent") }
            exponent += exponentNegative ? -written : written
        }
        let value: Double
        if mantissa < 1 << 53 && abs(exponent) <= 22 {
            let magnitude = Double(mantissa)
            value = exponent >= 0 ? magnitude * Self.powersOfTen[exponent] : magnitude / Self.powersOfTen[-exponent]
            return negative ? -value : value
        }
        guard let parsed = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)) else {
            throw failure("invalid number")
        }
        return parsed
    }

    /// A string after its opening quote, with escapes resolved (surrogate pairs included).
    private mutating func string() throws -> String {
        offset += 1
        let start = offset
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw failure("a control character inside a string") }
            offset += 1
        }
        var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw failure("unterminated string") }
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800..<0xDC00).contains(code), current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") {
                        offset += 2
                        let low = try hexQuad()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw failure("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw failure("a control character inside a string") }
                scalars.append(byte)
            }
        }
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw failure("a \\u escape needs four hex digits") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[offset])).hexDigitValue else { throw failure("a \\u escape needs four hex digits") }
            code = code << 4 | UInt32(digit)
            offset += 1
        }
        return code
    }
}
