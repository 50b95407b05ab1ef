import Foundation

/// Hand-assembled pickles and legacy torch.save streams, for inputs torch.save would never write.
enum PickleAssembler {
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [0x58] + le(UInt64(bytes.count), 4) + bytes
    }

    static func int(_ value: Int) -> [UInt8] { [0x4A] + le(UInt64(UInt32(truncatingIfNeeded: value)), 4) }

    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }

    static func le(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }

    /// `_rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, shape, stride, False, OrderedDict())`.
    static func tensor(key: String = "0", numel: Int, offset: Int = 0, shape: [Int], stride: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2")
            + [0x28] + tuple([string("storage"), global("torch", "FloatStorage"), string(key), string("cpu"), int(numel)]) + [0x51]
            + int(offset) + tuple(shape.map(int)) + tuple(stride.map(int)) + [0x89]
            + global("collections", "OrderedDict") + [0x29, 0x52] + [0x74, 0x52]
    }

    /// A protocol-2 pickle of a dict from names to the given value pickles.
    static func dict(_ entries: [(String, [UInt8])]) -> [UInt8] {
        [0x80, 0x02, 0x7D, 0x28] + entries.flatMap { string($0.0) + $0.1 } + [0x75, 0x2E]
    }

    /// A legacy (pre-1.6) stream: magic, protocol, system info, the object, the keys, the storages.
    static func legacy(_ object: [UInt8], keys: [String], storages: [(count: Int64, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + magic + [0x2E]
        out += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
        out += [0x80, 0x02, 0x7D, 0x2E]
        out += object
        out += [0x80, 0x02, 0x5D, 0x28] + keys.flatMap(string) + [0x65, 0x2E]
        for storage in storages { out += le(UInt64(bitPattern: storage.count), 8) + storage.bytes }
        return out
    }

    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { le(UInt64($0.bitPattern), 4) } }
}
