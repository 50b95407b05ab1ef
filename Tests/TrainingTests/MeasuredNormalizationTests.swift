import Datasets
import Foundation
import Testing
import TestSupport
@testable import Training

/// An IDX folder that is not MNIST is normalised with its own statistics, measured when the run
/// starts, stored with it and used by every transform of that dataset; a folder of one grey level is refused.
@Suite struct MeasuredNormalizationTests {
    /// train-/t10k- IDX files of 28x28 images; training image k is all `levels[k % levels.count]`.
    static func idxFolder(levels: [UInt8]) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        func idx(_ dimensions: [Int], _ data: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
            for size in dimensions { bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] }
            return Data(bytes + data)
        }
        for (prefix, count) in [("train", 4), ("t10k", 2)] {
            let pixels = (0..<count).flatMap { [UInt8](repeating: levels[$0 % levels.count], count: 28 * 28) }
            try idx([count, 28, 28], pixels).write(to: root.file("\(prefix)-images-idx3-ubyte"))
            try idx([count], (0..<count).map { UInt8($0 % 10) }).write(to: root.file("\(prefix)-labels-idx1-ubyte"))
        }
        return root
    }

    static func configuration(_ root: TemporaryDirectory) -> TrainingConfiguration {
        var configuration = TrainerTests.configuration(data: root.url)
        configuration.dataset = "mnist-idx"
        return configuration
    }

    @Test func idxFoldersAreNormalisedWithTheirOwnStatistics() throws {
        // Half the images black, half at 204/255 = 0.8: mean 0.4, standard deviation 0.4.
        let root = try Self.idxFolder(levels: [0, 204])
        var configuration = Self.configuration(root)
        let measured = try MeasuredNormalization.measure(configuration, kind: .mnistIDX)
        #expect(abs(measured.mean[0] - 0.4) < 1e-6 && abs(measured.standardDeviation[0] - 0.4) < 1e-6)
        #expect(try configuration.evaluationTransform(for: .mnistIDX, channels: 1).normalization == .mnist)
        configuration.measuredNormalization = measured
        let stored = try TrainingConfiguration.decode(configuration.json(), source: "config.json")
        for transform in [try stored.trainingTransform(for: .mnistIDX, channels: 1), try stored.evaluationTransform(for: .mnistIDX, channels: 1)] {
            #expect(transform.normalization == measured.normalization)
        }
        // Another dataset evaluated with this checkpoint keeps its own standard statistics.
        #expect(try stored.evaluationTransform(for: .fashionMNIST, channels: 1).normalization == .fashionMNIST)
    }

    @Test func aFolderOfOneGreyLevelIsRefused() throws {
        let root = try Self.idxFolder(levels: [128])
        let error = try #require(throws: ConfigurationError.self) { try MeasuredNormalization.measure(Self.configuration(root), kind: .mnistIDX) }
        #expect(error.description.contains("standard deviation 0") && error.description.contains(root.url.path))
    }
}
