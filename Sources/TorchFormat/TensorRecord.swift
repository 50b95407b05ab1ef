/// A storage as the pickle names it: `('storage', torch.FloatStorage, key, location, numel)`.
/// Tensors sharing a storage hold the same key; the bytes are found later by the container.
struct StorageReference {
    let key: String
    let dtype: TorchDType
    let elementCount: Int
    /// Legacy files only: a view into another storage (`view_metadata`), as an element offset.
    let viewOffset: Int
}

/// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, validated: the last
/// element the view reaches lies inside the storage it names.
struct TensorRecord {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    var elementCount: Int { shape.reduce(1, *) }
}
