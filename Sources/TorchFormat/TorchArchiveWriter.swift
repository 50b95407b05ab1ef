/// Writes a state dict as `torch.save(state_dict, path)` does, so `torch.load(path,
/// weights_only=True)` returns it: a zip archive under one top folder holding `data.pkl` (a
/// protocol-2 pickle of a `collections.OrderedDict` of tensors, each
/// `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` on the
/// persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`), `byteorder`, one raw
/// little-endian storage per tensor at `data/<key>`, and `version`.
///
/// Floating-point tensors are written as float32 (`FloatStorage`), integer and bool tensors as
/// int64 (`LongStorage`, what BatchNorm's `num_batches_tracked` is), contiguous, one storage each.
public enum TorchArchiveWriter {
    /// The format version torch.save writes in `version`.
    static let formatVersion = "3\n"
    /// CPython's pickler puts at most this many items in one SETITEMS.
    static let batchSize = 1000

    public static func archive(_ tensors: [(name: String, tensor: TorchTensor)], path: String, folder: String = "archive") throws -> [UInt8] {
        var seen = Set<String>()
        for (name, _) in tensors where !seen.insert(name).inserted {
            throw TorchFormatError(path: path, "the state dict names \(name) twice")
        }
        let dataBytes = tensors.reduce(0) { total, entry in
            switch entry.tensor.values {
            case .floats(let floats): total + 4 * floats.count
            case .integers(let integers): total + 8 * integers.count
            }
        }
        guard AlignedZipWriter.fits(totalBytes: dataBytes + 128 * (tensors.count + 4) + 64 * tensors.count, entries: tensors.count + 3) else {
            throw TorchFormatError(path: path, "\(tensors.count) tensors of \(dataBytes) bytes need a ZIP64 archive, which this writer does not write (limit 4 GiB, 65,532 tensors)")
        }
        var zip = AlignedZipWriter()
        zip.add(folder + "/data.pkl", pickle(tensors))
        zip.add(folder + "/byteorder", Array("little".utf8))
        for (index, entry) in tensors.enumerated() {
            switch entry.tensor.values {
            case .floats(let floats): zip.add(folder + "/data/\(index)", floats.withUnsafeBytes { Array($0) })
            case .integers(let integers): zip.add(folder + "/data/\(index)", integers.withUnsafeBytes { Array($0) })
            }
        }
        zip.add(folder + "/version", Array(formatVersion.utf8))
        return zip.finished()
    }

    /// The OrderedDict of tensors, storage i holding tensor i.
    static func pickle(_ tensors: [(name: String, tensor: TorchTensor)]) -> [UInt8] {
        var writer = PickleWriter()
        writer.global("collections", "OrderedDict")
        writer.emptyTuple()
        writer.reduce()
        for start in stride(from: 0, to: tensors.count, by: batchSize) {
            writer.mark()
            for (index, entry) in tensors.enumerated().dropFirst(start).prefix(batchSize) {
                writer.string(entry.name)
                tensor(entry.tensor, key: index, into: &writer)
            }
            writer.setItems()
        }
        writer.stop()
        return writer.bytes
    }

    private static func tensor(_ tensor: TorchTensor, key: Int, into writer: inout PickleWriter) {
        let (storage, count): (String, Int)
        switch tensor.values {
        case .floats(let floats): (storage, count) = ("FloatStorage", floats.count)
        case .integers(let integers): (storage, count) = ("LongStorage", integers.count)
        }
        writer.global("torch._utils", "_rebuild_tensor_v2")
        writer.mark()
        writer.mark()
        writer.string("storage", memoized: true)
        writer.global("torch", storage)
        writer.string(String(key))
        writer.string("cpu", memoized: true)
        writer.int(count)
        writer.tupleFromMark()
        writer.persistentID()
        writer.int(0)
        writer.intTuple(tensor.shape)
        writer.intTuple(contiguousStrides(tensor.shape))
        writer.bool(false)
        writer.global("collections", "OrderedDict")
        writer.emptyTuple()
        writer.reduce()
        writer.tupleFromMark()
        writer.reduce()
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * max(shape[axis + 1], 1) }
        return strides
    }
}
