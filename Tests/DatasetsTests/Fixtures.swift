import CZlib
import Datasets
import Foundation
import TestSupport

/// Small datasets written by the tests in the exact on-disk formats, with the pixels and labels
/// they must read back as.
enum Fixtures {
    /// A deterministic pixel value for image `image`, channel `channel`, row `row`, column `column`.
    static func pixel(_ image: Int, _ channel: Int, _ row: Int, _ column: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: image * 37 + channel * 101 + row * 7 + column * 3 + (row * column) % 5)
    }

    /// Planar (CHW) pixels of images `images`, each `channels`×`height`×`width`.
    static func planarImages(_ images: Range<Int>, channels: Int, height: Int, width: Int) -> [UInt8] {
        var result: [UInt8] = []
        for image in images {
            for channel in 0..<channels {
                for row in 0..<height {
                    for column in 0..<width { result.append(pixel(image, channel, row, column)) }
                }
            }
        }
        return result
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    // MARK: CIFAR

    /// `cifar-10-batches-bin/` under `root` with the given records per training file and in the
    /// test file. Image `k` of the whole split (in file order) has label `k % 10`.
    @discardableResult
    static func cifar10(in root: URL, trainingRecords: [Int] = [2, 1, 3, 1, 2], testRecords: Int = 3) throws -> URL {
        let directory = root.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var image = 0
        for (file, count) in trainingRecords.enumerated() {
            try write(cifar10Records(image..<(image + count)), to: directory.appendingPathComponent("data_batch_\(file + 1).bin"))
            image += count
        }
        try write(cifar10Records(0..<testRecords, firstImage: 1000), to: directory.appendingPathComponent("test_batch.bin"))
        try "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
            .write(to: directory.appendingPathComponent("batches.meta.txt"), atomically: true, encoding: .utf8)
        return directory
    }

    /// CIFAR-10 records for split positions `positions`; pixels come from image `firstImage + k`.
    static func cifar10Records(_ positions: Range<Int>, firstImage: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        for position in positions {
            bytes.append(UInt8(position % 10))
            bytes += planarImages((firstImage + position)..<(firstImage + position + 1), channels: 3, height: 32, width: 32)
        }
        return bytes
    }

    /// `cifar-100-binary/` under `root`: record `k` has coarse label `k % 20` and fine label
    /// `(k * 7) % 100`.
    @discardableResult
    static func cifar100(in root: URL, trainingRecords: Int = 4, testRecords: Int = 2) throws -> URL {
        let directory = root.appendingPathComponent("cifar-100-binary")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write(cifar100Records(0..<trainingRecords), to: directory.appendingPathComponent("train.bin"))
        try write(cifar100Records(0..<testRecords, firstImage: 500), to: directory.appendingPathComponent("test.bin"))
        try (0..<100).map { "fine\($0)" }.joined(separator: "\n")
            .write(to: directory.appendingPathComponent("fine_label_names.txt"), atomically: true, encoding: .utf8)
        try (0..<20).map { "coarse\($0)" }.joined(separator: "\n")
            .write(to: directory.appendingPathComponent("coarse_label_names.txt"), atomically: true, encoding: .utf8)
        return directory
    }

    static func cifar100Records(_ positions: Range<Int>, firstImage: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        for position in positions {
            bytes += [UInt8(position % 20), UInt8((position * 7) % 100)]
            bytes += planarImages((firstImage + position)..<(firstImage + position + 1), channels: 3, height: 32, width: 32)
        }
        return bytes
    }

    // MARK: NumPy

    /// A `.npy` file: `descriptor` such as `|u1` or `<f4`, the elements' bytes already in the
    /// order `fortranOrder` says, and the header version (1, 2 or 3).
    static func npy(descriptor: String, shape: [Int], fortranOrder: Bool = false, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        let preamble = version == 1 ? 10 : 12
        while (preamble + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let length = header.utf8.count
        bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                              : [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
        return bytes + Array(header.utf8) + data
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    static func bytes<T>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// CIFAR-10.1 files of `count` images for `version` in `directory`; image `k` has label
    /// `(k * 3) % 10` and pixels `pixel(k, c, y, x)`, written HWC as the real files are.
    static func cifar10_1(in directory: URL, version: String = "v6", count: Int = 3) throws {
        var interleaved: [UInt8] = []
        for image in 0..<count {
            for row in 0..<32 {
                for column in 0..<32 {
                    for channel in 0..<3 { interleaved.append(pixel(image, channel, row, column)) }
                }
            }
        }
        try write(npy(descriptor: "|u1", shape: [count, 32, 32, 3], data: interleaved),
                  to: directory.appendingPathComponent("cifar10.1_\(version)_data.npy"))
        let labels = (0..<count).map { Int64(($0 * 3) % 10) }
        try write(npy(descriptor: "<i8", shape: [count], data: littleEndianBytes(labels)),
                  to: directory.appendingPathComponent("cifar10.1_\(version)_labels.npy"))
    }

    // MARK: IDX

    /// An IDX file of unsigned bytes.
    static func idx(dimensions: [Int], data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for size in dimensions { bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] }
        return bytes + data
    }

    /// MNIST-layout files in `directory` (gzipped or raw): `count` training and `count / 2 + 1`
    /// test images of 28x28; image `k` has label `(k * 3) % 10`.
    static func mnist(in directory: URL, count: Int = 5, gzipped: Bool) throws {
        for (prefix, images, first) in [("train", count, 0), ("t10k", count / 2 + 1, 100)] {
            let pixels = planarImages(first..<(first + images), channels: 1, height: 28, width: 28)
            let labels = (0..<images).map { UInt8(($0 * 3) % 10) }
            let imageFile = idx(dimensions: [images, 28, 28], data: pixels)
            let labelFile = idx(dimensions: [images], data: labels)
            let suffix = gzipped ? ".gz" : ""
            try write(gzipped ? gzip(imageFile) : imageFile, to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte\(suffix)"))
            try write(gzipped ? gzip(labelFile) : labelFile, to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte\(suffix)"))
        }
    }

    /// gzip-compressed bytes, through zlib's deflate with a gzip wrapper.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        deflateInit2_(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = UInt32(destination.count)
                deflate(&stream, Z_FINISH)
                return destination.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    // MARK: Image folders

    /// Interleaved RGB pixels of a `height`x`width` test image number `image`.
    static func interleavedImage(_ image: Int, height: Int, width: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        for row in 0..<height {
            for column in 0..<width {
                for channel in 0..<3 { pixels.append(pixel(image, channel, row, column)) }
            }
        }
        return pixels
    }

    /// A smooth RGB gradient (JPEG compresses it almost losslessly).
    static func smoothImage(height: Int, width: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        for row in 0..<height {
            for column in 0..<width {
                pixels += [UInt8(row * 255 / max(1, height - 1)), UInt8(column * 255 / max(1, width - 1)), 128]
            }
        }
        return pixels
    }

    /// Overwrites 16 bytes in the middle of a file, keeping its header and its end: for JPEG
    /// with an early end-of-image marker inside the entropy-coded data, for PNG with bytes that
    /// break the chunk's CRC.
    static func damageMiddle(of url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        let middle = bytes.count / 2
        let damage: [UInt8] = bytes.starts(with: [0xFF, 0xD8]) ? [0xFF, 0xD9] + Array(repeating: 0, count: 14) : Array(repeating: 0xA5, count: 16)
        bytes.replaceSubrange(middle..<(middle + damage.count), with: damage)
        try write(bytes, to: url)
    }

    /// An image folder `root/<class>/...`: class "cat" with two PNGs and one JPEG, class "dog"
    /// with one PNG and one JPEG. Returns (relative path, label, height, width) per file in the
    /// order the dataset must list them.
    @discardableResult
    static func imageFolder(at root: URL) throws -> [(path: String, label: Int32, height: Int, width: Int)] {
        let files: [(String, Int32, Int, Int)] = [
            ("cat/a.png", 0, 5, 7), ("cat/b.JPEG", 0, 16, 24), ("cat/c.png", 0, 9, 4),
            ("dog/x.jpg", 1, 8, 8), ("dog/y.png", 1, 3, 6),
        ]
        for (index, (path, _, height, width)) in files.enumerated() {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let bytes = path.lowercased().hasSuffix(".png")
                ? try PNGCodec.encode(interleavedImage(index, height: height, width: width), width: width, height: height, channels: 3)
                : try JPEGCodec.encode(smoothImage(height: height, width: width), width: width, height: height, channels: 3, quality: 95)
            try write(bytes, to: url)
        }
        try "not an image".write(to: root.appendingPathComponent("cat/notes.txt"), atomically: true, encoding: .utf8)
        return files.map { ($0.0, $0.1, $0.2, $0.3) }
    }
}
