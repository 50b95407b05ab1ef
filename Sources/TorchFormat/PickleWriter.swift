/// Emits the protocol-2 pickle opcodes a torch.save `data.pkl` is made of, as CPython's pickler
/// writes them: the smallest integer opcode that fits, BINUNICODE strings, TUPLE1-3 for short
/// tuples and MARK ... TUPLE for longer ones, and each global and repeated string written once
/// and fetched from the memo after that.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 2]  // PROTO 2
    private var memo: [String: UInt32] = [:]

    mutating func mark() { bytes.append(0x28) }
    mutating func stop() { bytes.append(0x2E) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }  // BINPERSID
    mutating func bool(_ value: Bool) { bytes.append(value ? 0x88 : 0x89) }
    mutating func emptyTuple() { bytes.append(0x29) }
    /// TUPLE: the items pushed since the last `mark()`.
    mutating func tupleFromMark() { bytes.append(0x74) }


    mutating func int(_ value: Int) {
        switch value {
        case 0..<0x100: bytes += [0x4B, UInt8(value)]  // BININT1
        case 0x100..<0x10000: bytes += [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)]  // BININT2
        case Int(Int32.min)...Int(Int32.max): bytes.append(0x4A); append(UInt32(bitPattern: Int32(value)), width: 4)  // BININT
        default:
            // LONG1: the shortest little-endian two's complement.
            var digits = withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
            while digits.count > 1, (digits.last == 0 && digits[digits.count - 2] & 0x80 == 0)
                || (digits.last == 0xFF && digits[digits.count - 2] & 0x80 != 0) { digits.removeLast() }
            bytes += [0x8A, UInt8(digits.count)] + digits
        }
    }

    /// A tuple of integers: EMPTY_TUPLE, TUPLE1-3, or MARK ... TUPLE.
    mutating func intTuple(_ values: [Int]) {
        if values.count > 3 { mark() }
        values.forEach { int($0) }
        switch values.count {
        case 0: emptyTuple()
        case 1: bytes.append(0x85)
        case 2: bytes.append(0x86)
        case 3: bytes.append(0x87)
        default: bytes.append(0x74)
        }
    }

    /// A string; `memoized` ones are written once and fetched with BINGET afterwards.
    mutating func string(_ text: String, memoized: Bool = false) {
        if memoized, recall("s:" + text) { return }
        let utf8 = Array(text.utf8)
        bytes.append(0x58)  // BINUNICODE
        append(UInt32(utf8.count), width: 4)
        bytes += utf8
        if memoized { remember("s:" + text) }
    }

    /// GLOBAL `module name`, written once and recalled from the memo after that.
    mutating func global(_ module: String, _ name: String) {
        let key = "g:\(module).\(name)"
        if recall(key) { return }
        bytes.append(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
        remember(key)
    }

    private mutating func recall(_ key: String) -> Bool {
        guard let index = memo[key] else { return false }
        if index < 0x100 { bytes += [0x68, UInt8(index)] } else { bytes.append(0x6A); append(index, width: 4) }  // BINGET, LONG_BINGET
        return true
    }

    private mutating func remember(_ key: String) {
        let index = UInt32(memo.count)
        memo[key] = index
        if index < 0x100 { bytes += [0x71, UInt8(index)] } else { bytes.append(0x72); append(index, width: 4) }  // BINPUT, LONG_BINPUT
    }

    private mutating func append(_ value: UInt32, width: Int) {
        for shift in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(shift)))) }
    }
}
