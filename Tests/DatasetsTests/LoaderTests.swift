@testable import Datasets
import Foundation
import Tensors
import Testing
import TestSupport

@Suite struct LoaderTests {
    static let dataset = InMemoryDataset(pixels: Fixtures.planarImages(0..<50, channels: 3, height: 32, width: 32),
                                         labels: (0..<50).map { Int32($0 % 10) }, classNames: CIFAR10.classNames,
                                         channels: 3, height: 32, width: 32)
    static let training = Transform.cifarTraining(normalization: .cifar10, cutMix: CutMix(pairing: .perSample))

    static func collect(_ loader: BatchLoader) throws -> [Batch] {
        var batches: [Batch] = []
        try loader.forEach { batches.append($0) }
        return batches
    }

    static func epoch(_ epoch: Int, workers: Int, seed: UInt64 = 7, dropLast: Bool = false, startBatch: Int = 0) throws -> [Batch] {
        try collect(BatchLoader(dataset: dataset, batchSize: 8, shuffle: true, dropLast: dropLast, transform: training,
                                seed: seed, epoch: epoch, workers: workers, prefetch: 3, startBatch: startBatch))
    }

    static func same(_ a: [Batch], _ b: [Batch]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.images.shape == y.images.shape && x.images.scalars == y.images.scalars && x.labels == y.labels
                && x.mixedLabels == y.mixedLabels && x.mixWeight == y.mixWeight && x.sampleIndices == y.sampleIndices && x.index == y.index
        }
    }

    @Test func batchesAreTheSameForAnyWorkerCount() throws {
        let reference = try Self.epoch(1, workers: 0)
        #expect(reference.count == 7)
        #expect(reference.map(\.count) == [8, 8, 8, 8, 8, 8, 2])
        #expect(reference.contains { $0.mixedLabels != nil })
        for workers in [1, 2, 3] {
            #expect(Self.same(try Self.epoch(1, workers: workers), reference), "\(workers) workers")
        }
    }

    @Test func epochsShuffleDifferentlyAndOrdersArePureFunctions() throws {
        let first = BatchLoader.sampleOrder(count: 50, shuffle: true, seed: 7, epoch: 0)
        let second = BatchLoader.sampleOrder(count: 50, shuffle: true, seed: 7, epoch: 1)
        #expect(first.sorted() == Array(0..<50) && second.sorted() == Array(0..<50))
        #expect(first != second)
        #expect(first == BatchLoader.sampleOrder(count: 50, shuffle: true, seed: 7, epoch: 0))
        #expect(first != BatchLoader.sampleOrder(count: 50, shuffle: true, seed: 8, epoch: 0))
        #expect(BatchLoader.sampleOrder(count: 50, shuffle: false, seed: 7, epoch: 3) == Array(0..<50))
        let epochOne = try Self.epoch(1, workers: 2)
        #expect(epochOne.flatMap(\.sampleIndices) == BatchLoader.sampleOrder(count: 50, shuffle: true, seed: 7, epoch: 1))
        #expect(!Self.same(try Self.epoch(2, workers: 2), epochOne))
        #expect(!Self.same(try Self.epoch(1, workers: 2, seed: 8), epochOne))
    }

    @Test func augmentationOfASampleDependsOnlyOnSeedEpochAndIndex() throws {
        // The same sample lands in different batches in different epochs but, within an epoch,
        // gets the same augmentation whichever batch size serves it.
        let transform = Transform.cifarTraining(normalization: .unit)
        func images(batchSize: Int) throws -> [Int: [Float]] {
            let loader = try BatchLoader(dataset: Self.dataset, batchSize: batchSize, shuffle: true, dropLast: false,
                                         transform: transform, seed: 3, epoch: 4, workers: 1)
            var bySample: [Int: [Float]] = [:]
            try loader.forEach { batch in
                let values = batch.images.scalars
                for (slot, index) in batch.sampleIndices.enumerated() {
                    bySample[index] = Array(values[(slot * 3072)..<((slot + 1) * 3072)])
                }
            }
            return bySample
        }
        #expect(try images(batchSize: 7) == images(batchSize: 16))
    }

    @Test func dropLastAndResumingMidEpoch() throws {
        let full = try Self.epoch(3, workers: 2)
        let dropped = try Self.epoch(3, workers: 2, dropLast: true)
        #expect(dropped.count == 6 && Self.same(dropped, Array(full.prefix(6))))
        let resumed = try Self.epoch(3, workers: 2, startBatch: 4)
        #expect(Self.same(resumed, Array(full.suffix(3))))
        #expect(try Self.epoch(3, workers: 0, startBatch: 4).map(\.index) == [4, 5, 6])
    }

    @Test func prefixSubsetsKeepTheFirstSamples() throws {
        let limited = Self.dataset.prefix(10)
        #expect(limited.count == 10 && limited.classNames == Self.dataset.classNames)
        #expect(Self.dataset.prefix(nil).count == 50 && Self.dataset.prefix(500).count == 50)
        let loader = try BatchLoader(dataset: limited, batchSize: 4, shuffle: true, dropLast: false, transform: Self.training,
                                     seed: 1, epoch: 0, workers: 2)
        let batches = try Self.collect(loader)
        #expect(batches.flatMap(\.sampleIndices).sorted() == Array(0..<10))
        #expect(batches.flatMap(\.labels) == batches.flatMap(\.sampleIndices).map { Int32($0 % 10) })
    }

    @Test func batchTensorsAreReusedOnlyOnceReleased() throws {
        for workers in [0, 2] {
            let loader = try BatchLoader(dataset: Self.dataset, batchSize: 5, shuffle: true, dropLast: true,
                                         transform: Self.training, seed: 1, epoch: 0, workers: workers, prefetch: 2)
            let kept = try #require(try loader.next())
            let keptValues = kept.images.scalars
            var storages = Set<ObjectIdentifier>()
            while let batch = try loader.next() {
                storages.insert(ObjectIdentifier(batch.images.storage))
                #expect(batch.images.storage !== kept.images.storage)
            }
            #expect(kept.images.scalars == keptValues, "a batch still held is never overwritten")
            #expect(storages.count <= 4, "\(storages.count) distinct tensors for 9 batches with \(workers) workers")
        }
    }

    @Test func aCorruptImageFailsTheEpochNamingItsFile() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        let path = directory.file("cat/c.png")
        try Fixtures.damageMiddle(of: path)
        let dataset = try ImageFolderDataset(root: directory.url.path)
        for workers in [0, 2] {
            let loader = try BatchLoader(dataset: dataset, batchSize: 2, shuffle: false, dropLast: false,
                                         transform: .imageNetEvaluation(resize: 8, crop: 8), seed: 0, epoch: 0, workers: workers)
            #expect(try loader.next() != nil)
            let error = try #require(throws: DatasetError.self) { try loader.next() }
            #expect(error.path == path.path && error.kind == .unreadableImage)
            #expect(try loader.next() == nil)
        }
    }

    @Test func droppingALoaderEarlyStopsItsWorkers() throws {
        for _ in 0..<5 {
            let loader = try BatchLoader(dataset: Self.dataset, batchSize: 2, shuffle: true, dropLast: false,
                                         transform: Self.training, seed: 1, epoch: 0, workers: 3, prefetch: 4)
            #expect(try loader.next() != nil)
        }
        let unused = try BatchLoader(dataset: Self.dataset, batchSize: 2, shuffle: true, dropLast: false,
                                     transform: Self.training, seed: 1, epoch: 0, workers: 2)
        #expect(unused.batchCount == 25 && unused.sampleShape == [3, 32, 32])
    }
}
