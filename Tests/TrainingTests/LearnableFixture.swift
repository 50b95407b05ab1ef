import Foundation
import Tensors
import TestSupport

/// A small CIFAR-10-format dataset a network can learn quickly: each class is a square of its own
/// colour at a random place on a noisy background. Colour survives global average pooling and the
/// crop and flip augmentation, so three epochs separate the classes (a square whose position gave
/// the class left ResNet-20 near chance after three epochs: 0.23 top-1 on some seeds).
enum LearnableFixture {
    static let classes = 10

    /// Ten well separated colours, one per class.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
        (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    ]

    /// Writes `cifar-10-batches-bin/` with `training` images spread over the five training files
    /// and `test` images in the test file; returns the directory.
    static func write(in root: URL, training: Int, test: Int, seed: UInt64 = 1) throws -> URL {
        try CIFARFixture.write(in: root, training: training, test: test, seed: seed, draw: image)
    }

    /// An 8x8 square of the label's colour at a random place on a noisy background.
    static func image(_ generator: inout RandomGenerator) -> (label: Int, pixels: [UInt8]) {
        let label = generator.nextInt(below: classes)
        let top = generator.nextInt(below: 25), left = generator.nextInt(below: 25)
        let colour = palette[label]
        var pixels: [UInt8] = []
        pixels.reserveCapacity(3 * 32 * 32)
        for channel in 0..<3 {
            let value = Int([colour.0, colour.1, colour.2][channel])
            for row in 0..<32 {
                for column in 0..<32 {
                    let inside = (top..<(top + 8)).contains(row) && (left..<(left + 8)).contains(column)
                    let noise = generator.nextInt(below: 40)
                    pixels.append(UInt8(inside ? min(255, value * 3 / 4 + noise) : noise))
                }
            }
        }
        return (label, pixels)
    }
}

extension LearnableFixture {
    /// CIFAR-10.1's files (`cifar10.1_v6_data.npy`, N x 32 x 32 x 3 uint8 HWC, and
    /// `cifar10.1_v6_labels.npy`, int64) with `count` images drawn like the CIFAR-10 fixture's.
    static func writeCIFAR10_1(in directory: URL, count: Int, seed: UInt64 = 9) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: seed)
        let planar = CIFARFixture.records(count, &generator, image)
        var pixels = [UInt8](), labels = [UInt8]()
        for image in 0..<count {
            let record = planar[(image * 3073)..<((image + 1) * 3073)]
            let label = Int64(record[record.startIndex])
            withUnsafeBytes(of: label.littleEndian) { labels += $0 }
            for row in 0..<32 { for column in 0..<32 { for channel in 0..<3 {
                pixels.append(record[record.startIndex + 1 + (channel * 32 + row) * 32 + column])
            } } }
        }
        try npy(descriptor: "|u1", shape: [count, 32, 32, 3], body: pixels).write(to: directory.appendingPathComponent("cifar10.1_v6_data.npy"))
        try npy(descriptor: "<i8", shape: [count], body: labels).write(to: directory.appendingPathComponent("cifar10.1_v6_labels.npy"))
    }

    /// A version-1 .npy file: magic, header length, the header dictionary padded to 64 bytes, data.
    private static func npy(descriptor: String, shape: [Int], body: [UInt8]) -> Data {
        let dimensions = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(dimensions), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: body)
        return data
    }
}
