/// A parsed JSON document for the request parsers. The arrays of members named in the parser's
/// `tensorKeys` (tensor data), when they hold only numbers, flat or nested, become one flat FP32
/// buffer filled in one pass, with no value per element.
///
/// Numbers are parsed from the bytes, never through `JSONSerialization`: on Linux its `NSNumber`s
/// for 0 and 1 pass `is Bool` and casts to Double fail for them (DESIGN.md section 9).
indirect enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// A tensor-data array of numbers, flattened in row-major order.
    case numbers([Float])

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        if case .numbers(let values) = self { return values.map { .number(Double($0)) } }
        return nil
    }

    /// A whole number that an Int holds exactly (a shape dimension, a byte count).
    var integer: Int? {
        guard case .number(let value) = self, value == value.rounded(), abs(value) < 0x1p63 else { return nil }
        return Int(value)
    }
}
