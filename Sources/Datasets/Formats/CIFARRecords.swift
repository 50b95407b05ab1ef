/// The record layout shared by the CIFAR-10 and CIFAR-100 binary files: label bytes followed by a
/// 32x32 RGB image stored as three 1024-byte planes (red, green, blue), so records are already
/// in the CHW layout the loader wants and are copied as they are.
struct CIFARRecords {
    static let imageBytes = 3 * 32 * 32

    /// One label byte of a record: its position in the record and the number of classes.
    struct LabelField {
        let offset: Int
        let classCount: Int
        let name: String
    }

    /// All label bytes of a record, in order; `selected` is the one the dataset reports.
    let labelFields: [LabelField]
    let selected: Int

    var recordBytes: Int { labelFields.count + Self.imageBytes }

    /// Appends the images and selected labels of the file at `path` to `pixels` and `labels`.
    /// Throws when the size is not a whole number of records or a label is out of range.
    func append(fileAt path: String, to pixels: inout [UInt8], labels: inout [Int32]) throws {
        let bytes = try FileBytes.read(path)
        try append(bytes, path: path, to: &pixels, labels: &labels)
    }

    /// As `append(fileAt:...)`, for bytes already in memory (the fuzz target's entry point).
    func append(_ bytes: [UInt8], path: String, to pixels: inout [UInt8], labels: inout [Int32]) throws {
        guard !bytes.isEmpty else { throw DatasetError(.truncated, path: path, "is empty") }
        let records = bytes.count / recordBytes
        guard bytes.count % recordBytes == 0 else {
            throw DatasetError(.truncated, path: path, record: records, byteOffset: records * recordBytes,
                               "\(bytes.count) bytes are not a whole number of \(recordBytes)-byte records; the last record is cut short")
        }
        pixels.reserveCapacity(pixels.count + records * Self.imageBytes)
        labels.reserveCapacity(labels.count + records)
        try bytes.withUnsafeBufferPointer { file in
            for record in 0..<records {
                let start = record * recordBytes
                for field in labelFields where Int(file[start + field.offset]) >= field.classCount {
                    throw DatasetError(.labelOutOfRange, path: path, record: record, byteOffset: start + field.offset,
                                       "\(field.name) label \(file[start + field.offset]) is outside 0..<\(field.classCount)")
                }
                labels.append(Int32(file[start + labelFields[selected].offset]))
                let imageStart = start + labelFields.count
                pixels.append(contentsOf: file[imageStart..<(imageStart + Self.imageBytes)])
            }
        }
    }
}
