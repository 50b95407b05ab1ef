import Datasets
import Foundation
import Testing
import TestSupport

@Suite struct CIFARBadInputTests {
    @Test func aCutRecordNamesTheFileRecordAndOffset() throws {
        let directory = try TemporaryDirectory()
        let inner = try Fixtures.cifar10(in: directory.url)
        let file = inner.appendingPathComponent("data_batch_3.bin")
        try Fixtures.write(Array(Fixtures.cifar10Records(0..<3).dropLast(100)), to: file)
        let error = try #require(throws: DatasetError.self) { try CIFAR10.load(directory: directory.url.path, split: .train) }
        #expect(error.kind == .truncated && error.path == file.path && error.record == 2 && error.byteOffset == 2 * 3073)
    }

    @Test func cifar100FilesWithCIFAR10RecordsHaveTheWrongRecordSize() throws {
        let directory = try TemporaryDirectory()
        let inner = try Fixtures.cifar100(in: directory.url)
        try Fixtures.write(Fixtures.cifar10Records(0..<3), to: inner.appendingPathComponent("test.bin"))
        let error = try #require(throws: DatasetError.self) { try CIFAR100.load(directory: inner.path, split: .test) }
        #expect(error.kind == .truncated && error.description.contains("3074-byte records"))
    }

    @Test func labelsOutOfRangeNameTheRecord() throws {
        let directory = try TemporaryDirectory()
        let inner = try Fixtures.cifar10(in: directory.url)
        var records = Fixtures.cifar10Records(0..<3)
        records[2 * 3073] = 10
        try Fixtures.write(records, to: inner.appendingPathComponent("test_batch.bin"))
        let error = try #require(throws: DatasetError.self) { try CIFAR10.load(directory: inner.path, split: .test) }
        #expect(error.kind == .labelOutOfRange && error.record == 2 && error.byteOffset == 2 * 3073)

        let hundred = try Fixtures.cifar100(in: directory.url)
        var fine = Fixtures.cifar100Records(0..<2)
        fine[3074 + 1] = 100
        try Fixtures.write(fine, to: hundred.appendingPathComponent("test.bin"))
        let fineError = try #require(throws: DatasetError.self) { try CIFAR100.load(directory: hundred.path, split: .test) }
        #expect(fineError.kind == .labelOutOfRange && fineError.record == 1 && fineError.byteOffset == 3074 + 1)
    }

    @Test func missingFilesAndDirectoriesAreNamed() throws {
        let directory = try TemporaryDirectory()
        let absent = try #require(throws: DatasetError.self) { try DatasetKind.cifar10.open(directory: directory.file("nope").path, split: .train) }
        #expect(absent.kind == .missing && absent.path.hasSuffix("nope"))
        let inner = try Fixtures.cifar10(in: directory.url)
        try FileManager.default.removeItem(at: inner.appendingPathComponent("data_batch_4.bin"))
        let missing = try #require(throws: DatasetError.self) { try CIFAR10.load(directory: inner.path, split: .train) }
        #expect(missing.kind == .missing && missing.path.hasSuffix("data_batch_4.bin"))
        try FileManager.default.removeItem(at: inner.appendingPathComponent("batches.meta.txt"))
        let names = try #require(throws: DatasetError.self) { try CIFAR10.load(directory: inner.path, split: .test) }
        #expect(names.kind == .missing && names.path.hasSuffix("batches.meta.txt"))
        let empty = try TemporaryDirectory()
        try Fixtures.write([], to: empty.file("test.bin"))
        try (0..<100).map(String.init).joined(separator: "\n").write(to: empty.file("fine_label_names.txt"), atomically: true, encoding: .utf8)
        #expect(try #require(throws: DatasetError.self) { try CIFAR100.load(directory: empty.url.path, split: .test) }.kind == .truncated)
        #expect(try #require(throws: DatasetError.self) { try DatasetKind.cifar10.open(directory: nil, split: .train) }.kind == .invalidRequest)
    }

    @Test func cifar10_1ShapeAndLabelProblemsAreNamed() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.cifar10_1(in: directory.url, count: 3)
        let labels = directory.file("cifar10.1_v6_labels.npy")
        try Fixtures.write(Fixtures.npy(descriptor: "<i8", shape: [3], data: Fixtures.littleEndianBytes([Int64(1), 12, 3])), to: labels)
        let range = try #require(throws: DatasetError.self) { try CIFAR10_1.load(directory: directory.url.path) }
        #expect(range.kind == .labelOutOfRange && range.record == 1 && range.path == labels.path)
        try Fixtures.write(Fixtures.npy(descriptor: "<i8", shape: [2], data: Fixtures.littleEndianBytes([Int64(1), 2])), to: labels)
        #expect(try #require(throws: DatasetError.self) { try CIFAR10_1.load(directory: directory.url.path) }.kind == .malformed)
        try Fixtures.write(Fixtures.npy(descriptor: "|u1", shape: [1, 32, 32], data: Array(repeating: 0, count: 1024)),
                           to: directory.file("cifar10.1_v6_data.npy"))
        #expect(try #require(throws: DatasetError.self) { try CIFAR10_1.load(directory: directory.url.path) }.kind == .malformed)
        #expect(try #require(throws: DatasetError.self) { try CIFAR10_1.load(directory: directory.url.path, version: .v4) }.kind == .missing)
    }
}
