import Foundation
import Tensors

/// Writes small datasets in CIFAR-10's binary format (`cifar-10-batches-bin/`: five training
/// files, one test file, class names), as `mpw train --dataset cifar10 --data DIR` reads them.
public enum CIFARFixture {
    public static let classes = 10
    public static let recordBytes = 1 + 3 * 32 * 32

    /// One image: its label and its 3x32x32 planar pixels.
    public typealias Draw = (inout RandomGenerator) -> (label: Int, pixels: [UInt8])

    /// Writes `training` images over the five training files and `test` in the test file, each
    /// drawn by `draw`; returns the `cifar-10-batches-bin` directory.
    @discardableResult
    public static func write(in root: URL, training: Int, test: Int, seed: UInt64, draw: Draw) throws -> URL {
        let directory = root.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: seed)
        let perFile = training / 5
        for file in 0..<5 {
            let count = file == 4 ? training - 4 * perFile : perFile
            try Data(records(count, &generator, draw)).write(to: directory.appendingPathComponent("data_batch_\(file + 1).bin"))
        }
        try Data(records(test, &generator, draw)).write(to: directory.appendingPathComponent("test_batch.bin"))
        try (0..<classes).map { "class\($0)" }.joined(separator: "\n")
            .write(to: directory.appendingPathComponent("batches.meta.txt"), atomically: true, encoding: .utf8)
        return directory
    }

    /// `count` records (label byte, then the pixels) drawn by `draw`.
    public static func records(_ count: Int, _ generator: inout RandomGenerator, _ draw: Draw) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * recordBytes)
        for _ in 0..<count {
            let image = draw(&generator)
            bytes.append(UInt8(image.label))
            bytes += image.pixels
        }
        return bytes
    }

    /// Uniform random pixels and labels: no constant background, so no BatchNorm or ReLU input
    /// sits at a kink where rounding decides the branch. Equality tests between thread counts,
    /// world sizes and engines run on it.
    public static func randomPixels(_ generator: inout RandomGenerator) -> (label: Int, pixels: [UInt8]) {
        let label = generator.nextInt(below: classes)
        return (label, (0..<(3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) })
    }
}
