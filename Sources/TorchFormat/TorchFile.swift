import Foundation

/// Reads the state dict of a file written by `torch.save`, in either format:
/// - the zip archive of PyTorch >= 1.6: `<folder>/data.pkl` (the pickle), `<folder>/data/<key>`
///   (raw little-endian storages), `<folder>/byteorder`; the folder name varies;
/// - the legacy stream of earlier versions: pickles of the magic number, the protocol version
///   (1001) and the system info, the object, the list of storage keys, then each storage's bytes
///   after its element count (Int64).
/// The object may be a state dict, or a checkpoint dict with a `state_dict` or `model` entry.
public enum TorchFile {
    /// The legacy format's magic number 0x1950a86a20f9469cfc6c, as LONG1 little-endian bytes.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let legacyProtocol: Int64 = 1001

    /// True when the bytes start like either torch.save format (a zip, or a pickle of the magic number).
    public static func isTorchFile(_ bytes: [UInt8]) -> Bool {
        ZipArchive.isZip(bytes) || (bytes.count >= 14 && bytes[0] == 0x80 && bytes[2] == 0x8A && Array(bytes[4..<14]) == legacyMagic)
    }

    public static func readStateDict(contentsOf url: URL, limits: PickleLimits = .standard) throws -> TorchStateDict {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url, options: .alwaysMapped))
        } catch {
            throw TorchFormatError(path: url.path, "cannot read the file (\(error.localizedDescription))")
        }
        return try readStateDict(bytes: bytes, path: url.path, limits: limits)
    }

    public static func readStateDict(bytes: [UInt8], path: String, limits: PickleLimits = .standard) throws -> TorchStateDict {
        if ZipArchive.isZip(bytes) { return try readArchive(bytes: bytes, path: path, limits: limits) }
        if bytes.first == 0x80 { return try readLegacy(bytes: bytes, path: path, limits: limits) }
        throw TorchFormatError(path: path, "not a torch.save file (neither a zip archive nor a legacy pickle stream)")
    }

    private static func readArchive(bytes: [UInt8], path: String, limits: PickleLimits) throws -> TorchStateDict {
        let archive = try ZipArchive(bytes: bytes, path: path)
        guard let pickleName = archive.names.first(where: { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }) else {
            throw TorchFormatError(path: path, "zip archive without a <folder>/data.pkl entry: not written by torch.save")
        }
        let folder = String(pickleName.dropLast("data.pkl".count))
        if archive.entries[folder + "byteorder"] != nil {
            let order = String(decoding: try archive.contents(of: folder + "byteorder"), as: UTF8.self)
            guard order == "little" else { throw TorchFormatError(path: path, "storages are \(order)-endian; only little-endian files are read") }
        }
        let pickle = Array(try archive.contents(of: pickleName))
        return try PickleMachine.evaluate(pickle, path: path, context: pickleName, limits: limits) { root, _, _ in
            let records = try StateDictSelection.tensors(in: root, path: path)
            var storages: [String: ArraySlice<UInt8>] = [:]
            return try materialize(records, path: path, fileSize: bytes.count, limits: limits) { reference in
                if let cached = storages[reference.key] { return cached }
                let name = folder + "data/" + reference.key
                guard archive.entries[name] != nil else {
                    throw TorchFormatError(path: path, "storage \(reference.key) points outside the archive: no entry \(name)")
                }
                let data = try archive.contents(of: name)
                storages[reference.key] = data
                return data
            }
        }
    }

    private static func readLegacy(bytes: [UInt8], path: String, limits: PickleLimits) throws -> TorchStateDict {
        func failure(_ reason: String) -> TorchFormatError { TorchFormatError(path: path, "legacy torch.save stream: \(reason)") }
        let afterMagic = try PickleMachine.evaluate(bytes, path: path, context: "legacy magic number", limits: limits) { root, end, _ in
            guard case .bigInt(let magic) = root, magic == legacyMagic else { throw failure("wrong magic number") }
            return end
        }
        let afterProtocol = try PickleMachine.evaluate(bytes, path: path, context: "legacy protocol", offset: afterMagic, limits: limits) { root, end, _ in
            guard case .int(let version) = root, version == legacyProtocol else { throw failure("protocol version is not \(legacyProtocol)") }
            return end
        }
        let afterInfo = try PickleMachine.evaluate(bytes, path: path, context: "legacy system info", offset: afterProtocol, limits: limits) { root, end, _ in
            guard case .dict(let info) = root else { throw failure("the system info is not a dict") }
            if case .bool(false) = info["little_endian"] ?? .none { throw failure("written on a big-endian machine; only little-endian files are read") }
            return end
        }
        return try PickleMachine.evaluate(bytes, path: path, context: "legacy object pickle", offset: afterInfo, limits: limits) { root, end, known in
            let records = try StateDictSelection.tensors(in: root, path: path)
            let keys = try PickleMachine.evaluate(bytes, path: path, context: "legacy storage keys", offset: end, limits: limits) { list, end, _ in
                guard case .list(let list) = list else { throw failure("the storage keys are not a list") }
                return (try list.items.map { item -> String in
                    guard case .string(let key) = item else { throw failure("a storage key that is not a string") }
                    return key
                }, end)
            }
            // The raw storages follow in the order of the key list, each after its element count.
            var cursor = ByteCursor(bytes, path: path, context: "legacy storage data", offset: keys.1)
            var storages: [String: ArraySlice<UInt8>] = [:]
            for key in keys.0 {
                guard let reference = known[key] else { throw failure("storage key \(key) is not used by the pickle") }
                let at = cursor.offset
                let count = try cursor.int64()
                guard count >= 0, count == Int64(reference.elementCount) else {
                    throw failure("storage \(key) at byte \(at) has \(count) elements, the pickle says \(reference.elementCount)")
                }
                guard count <= Int64(cursor.remaining / reference.dtype.byteCount) else {
                    throw failure("storage \(key) (\(count) elements at byte \(cursor.offset)) runs past the end of the file")
                }
                storages[key] = try cursor.take(Int(count) * reference.dtype.byteCount)
            }
            return try materialize(records, path: path, fileSize: bytes.count, limits: limits) { reference in
                guard let data = storages[reference.key] else {
                    throw TorchFormatError(path: path, "storage \(reference.key) points outside the file: it is not among the stored keys")
                }
                return data
            }
        }
    }

    /// Converts every selected tensor, within the output budget.
    private static func materialize(_ records: [(name: String, record: TensorRecord)], path: String, fileSize: Int, limits: PickleLimits,
                                    storage: (StorageReference) throws -> ArraySlice<UInt8>) throws -> TorchStateDict {
        let budget = 16 * fileSize + limits.extraOutputBytes
        var used = 0
        var tensors: [(name: String, tensor: TorchTensor)] = []
        tensors.reserveCapacity(records.count)
        for (name, record) in records {
            used += record.elementCount * (record.storage.dtype.isFloatingPoint ? 4 : 8)
            guard used <= budget else {
                throw TorchFormatError(path: path, "the tensors would take more than \(budget) bytes converted (16 times the file, plus 64 MiB)")
            }
            let data = try storage(record.storage)
            let needed = (record.storage.viewOffset + record.storage.elementCount) * record.storage.dtype.byteCount
            guard data.count >= needed else {
                throw TorchFormatError(path: path, "tensor \(name): storage \(record.storage.key) holds \(data.count) bytes, the pickle says \(needed)")
            }
            tensors.append((name, StridedGather.tensor(record, storage: data)))
        }
        return TorchStateDict(path: path, tensors: tensors)
    }
}
