import Datasets
import Foundation
import Testing
import TestSupport

@Suite struct IDXTests {
    @Test(arguments: [false, true])
    func mnistLayoutReadsRawAndGzippedFiles(gzipped: Bool) throws {
        let directory = try TemporaryDirectory()
        try Fixtures.mnist(in: directory.url, count: 5, gzipped: gzipped)
        let train = try DatasetKind.mnistIDX.open(directory: directory.url.path, split: .train)
        #expect(train.count == 5)
        #expect((train.channels, train.height, train.width) == (1, 28, 28))
        #expect((0..<5).map(train.label(at:)) == [0, 3, 6, 9, 2])
        #expect(try CIFARTests.planarPixels(train) == Fixtures.planarImages(0..<5, channels: 1, height: 28, width: 28))
        #expect(train.classNames == (0...9).map(String.init))
        let test = try DatasetKind.mnistIDX.open(directory: directory.url.path, split: .test)
        #expect(test.count == 3)
        #expect(try CIFARTests.planarPixels(test) == Fixtures.planarImages(100..<103, channels: 1, height: 28, width: 28))
    }

    @Test func idxFileParsesDimensionsAndData() throws {
        let file = try IDXFile(fileBytes: Fixtures.idx(dimensions: [2, 3], data: [1, 2, 3, 4, 5, 6]), path: "a.idx")
        #expect(file.dimensions == [2, 3])
        #expect(file.bytes == [1, 2, 3, 4, 5, 6])
        let gzipped = try IDXFile(fileBytes: Fixtures.gzip(Fixtures.idx(dimensions: [2, 3], data: [1, 2, 3, 4, 5, 6])), path: "a.idx.gz")
        #expect(gzipped.bytes == file.bytes)
    }

    @Test func badIDXFilesThrowWithTheirOffset() throws {
        let good = Fixtures.idx(dimensions: [2, 3], data: [1, 2, 3, 4, 5, 6])
        var magic = good
        magic[0] = 8
        let wrongMagic = try #require(throws: DatasetError.self) { try IDXFile(fileBytes: magic, path: "m.idx") }
        #expect(wrongMagic.kind == .malformed && wrongMagic.byteOffset == 0 && wrongMagic.path == "m.idx")
        var type = good
        type[2] = 0x0D
        #expect(try #require(throws: DatasetError.self) { try IDXFile(fileBytes: type, path: "t.idx") }.kind == .unsupported)
        let truncated = try #require(throws: DatasetError.self) { try IDXFile(fileBytes: Array(good.dropLast(2)), path: "t.idx") }
        #expect(truncated.kind == .truncated && truncated.byteOffset == good.count - 2)
        let cutDimensions = try #require(throws: DatasetError.self) { try IDXFile(fileBytes: Array(good.prefix(9)), path: "d.idx") }
        #expect(cutDimensions.kind == .truncated)
        let extra = try #require(throws: DatasetError.self) { try IDXFile(fileBytes: good + [0], path: "e.idx") }
        #expect(extra.kind == .malformed && extra.byteOffset == good.count)
        let compressed = Fixtures.gzip(good)
        let cutGzip = try #require(throws: DatasetError.self) { try IDXFile(fileBytes: Array(compressed.prefix(compressed.count - 12)), path: "g.gz") }
        #expect(cutGzip.kind == .truncated && cutGzip.path == "g.gz" && cutGzip.byteOffset != nil)
        var corrupt = compressed
        corrupt[10] ^= 0xFF
        corrupt[11] ^= 0xFF
        #expect(throws: DatasetError.self) { try IDXFile(fileBytes: corrupt, path: "c.gz") }
    }

    @Test func labelOutOfRangeNamesTheRecord() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.mnist(in: directory.url, count: 5, gzipped: false)
        let labels = directory.file("train-labels-idx1-ubyte")
        try Fixtures.write(Fixtures.idx(dimensions: [5], data: [1, 2, 3, 10, 4]), to: labels)
        let error = try #require(throws: DatasetError.self) { try DatasetKind.mnistIDX.open(directory: directory.url.path, split: .train) }
        #expect(error.kind == .labelOutOfRange && error.record == 3 && error.byteOffset == 8 + 3 && error.path == labels.path)
        #expect(error.description.contains("record 3"))
    }

    @Test func missingFilesAndDirectoriesAreNamed() throws {
        let directory = try TemporaryDirectory()
        let missingDirectory = try #require(throws: DatasetError.self) {
            try DatasetKind.fashionMNIST.open(directory: directory.file("absent").path, split: .train)
        }
        #expect(missingDirectory.kind == .missing && missingDirectory.path.hasSuffix("absent"))
        let missingFile = try #require(throws: DatasetError.self) {
            try DatasetKind.fashionMNIST.open(directory: directory.url.path, split: .train)
        }
        #expect(missingFile.kind == .missing && missingFile.path.hasSuffix("train-images-idx3-ubyte.gz"))
        let mismatch = try TemporaryDirectory()
        try Fixtures.mnist(in: mismatch.url, count: 5, gzipped: true)
        try Fixtures.write(Fixtures.gzip(Fixtures.idx(dimensions: [4], data: [1, 2, 3, 4])), to: mismatch.file("train-labels-idx1-ubyte.gz"))
        #expect(try #require(throws: DatasetError.self) {
            try DatasetKind.fashionMNIST.open(directory: mismatch.url.path, split: .train)
        }.kind == .malformed)
    }
}

/// The real Fashion-MNIST from Debian's `dataset-fashion-mnist` package (installed by
/// scripts/bootstrap).
@Suite struct FashionMNISTTests {
    @Test func countsLabelsAndFirstImageMatchThePublishedDataset() throws {
        let train = try DatasetKind.fashionMNIST.open(directory: nil, split: .train)
        let test = try DatasetKind.fashionMNIST.open(directory: nil, split: .test)
        #expect(train.count == 60_000 && test.count == 10_000)
        #expect(train.classCounts() == Array(repeating: 6_000, count: 10))
        #expect(test.classCounts() == Array(repeating: 1_000, count: 10))
        #expect(train.classNames == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        #expect(train.label(at: 0) == 9)
        let firstSum = try train.withImage(at: 0) { view in
            var sum = 0
            for row in 0..<view.height { for column in 0..<view.width { sum += Int(view[0, row, column]) } }
            return sum
        }
        #expect(firstSum == 76_247)
        #expect(test.label(at: 0) == 9)
    }

    @Test func standardStatisticsMatchTheTrainingSet() throws {
        let train = try DatasetKind.fashionMNIST.open(directory: nil, split: .train)
        let statistics = try ChannelStatistics.compute(train)
        #expect(statistics.imageCount == 60_000)
        #expect(abs(statistics.mean[0] - 0.286_040_6) < 1e-6)
        #expect(abs(statistics.standardDeviation[0] - 0.353_024_2) < 1e-6)
        #expect(abs(Double(Normalization.fashionMNIST.mean[0]) - statistics.mean[0]) < 1e-4)
        #expect(abs(Double(Normalization.fashionMNIST.standardDeviation[0]) - statistics.standardDeviation[0]) < 1e-4)
    }
}
