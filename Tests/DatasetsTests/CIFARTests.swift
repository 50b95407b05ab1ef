import Datasets
import Foundation
import Testing
import TestSupport

@Suite struct CIFARTests {
    /// All pixels of a dataset, read through the public per-sample view, in CHW order.
    static func planarPixels(_ dataset: any Dataset) throws -> [UInt8] {
        var pixels: [UInt8] = []
        for index in 0..<dataset.count {
            try dataset.withImage(at: index) { view in
                for channel in 0..<view.channels {
                    for row in 0..<view.height {
                        for column in 0..<view.width { pixels.append(view[channel, row, column]) }
                    }
                }
            }
        }
        return pixels
    }

    @Test func cifar10ReadsEveryTrainingFileInOrderWithPlanarPixels() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.cifar10(in: directory.url)
        let train = try CIFAR10.load(directory: directory.url.path, split: .train)
        #expect(train.count == 9)
        #expect(train.labels == (0..<9).map { Int32($0 % 10) })
        #expect(train.pixels == Fixtures.planarImages(0..<9, channels: 3, height: 32, width: 32))
        #expect(try Self.planarPixels(train) == train.pixels)
        #expect(train.classNames == CIFAR10.classNames)
        #expect((train.channels, train.height, train.width) == (3, 32, 32))
        // The red plane comes first: pixel (c=1, y=0, x=0) of image 0 is byte 1024 of its record.
        try train.withImage(at: 0) { view in #expect(view[1, 0, 0] == Fixtures.pixel(0, 1, 0, 0)) }
    }

    @Test func cifar10TestSplitAndTheParentDirectoryBothWork() throws {
        let directory = try TemporaryDirectory()
        let inner = try Fixtures.cifar10(in: directory.url)
        for root in [directory.url.path, inner.path] {
            let test = try DatasetKind.cifar10.open(directory: root, split: .test)
            #expect(test.count == 3)
            #expect(try Self.planarPixels(test) == Fixtures.planarImages(1000..<1003, channels: 3, height: 32, width: 32))
        }
    }

    @Test func cifar100ReportsFineLabelsByDefaultAndCoarseOnRequest() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.cifar100(in: directory.url)
        let fine = try CIFAR100.load(directory: directory.url.path, split: .train)
        #expect(fine.labels == (0..<4).map { Int32(($0 * 7) % 100) })
        #expect(fine.classNames.count == 100 && fine.classNames[7] == "fine7")
        #expect(fine.pixels == Fixtures.planarImages(0..<4, channels: 3, height: 32, width: 32))
        let coarse = try CIFAR100.load(directory: directory.url.path, split: .test, labels: .coarse)
        #expect(coarse.labels == [0, 1])
        #expect(coarse.classNames.count == 20 && coarse.classNames[1] == "coarse1")
        #expect(coarse.pixels == Fixtures.planarImages(500..<502, channels: 3, height: 32, width: 32))
        let viaKind = try DatasetKind.cifar100.open(directory: directory.url.path, split: .train,
                                                    options: .init(cifar100Labels: .coarse))
        #expect((0..<viaKind.count).map(viaKind.label(at:)) == [0, 1, 2, 3])
    }

    @Test func cifar10_1ConvertsInterleavedPixelsToPlanar() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.cifar10_1(in: directory.url, version: "v6", count: 3)
        try Fixtures.cifar10_1(in: directory.url, version: "v4", count: 2)
        let v6 = try DatasetKind.cifar10_1.open(directory: directory.url.path, split: .test)
        #expect(v6.count == 3)
        #expect((0..<3).map(v6.label(at:)) == [0, 3, 6])
        #expect(try Self.planarPixels(v6) == Fixtures.planarImages(0..<3, channels: 3, height: 32, width: 32))
        #expect(v6.classNames == CIFAR10.classNames)
        let v4 = try CIFAR10_1.load(directory: directory.url.path, version: .v4)
        #expect(v4.count == 2)
        #expect(throws: DatasetError.self) { try DatasetKind.cifar10_1.open(directory: directory.url.path, split: .train) }
    }
}
