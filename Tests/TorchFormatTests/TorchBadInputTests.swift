import Foundation
import Testing
import TestSupport
import TorchFormat

/// Truncated, corrupted and crafted files: each is refused with one line naming the file, and
/// nothing crashes or runs away with memory.
@Suite struct TorchBadInputTests {
    typealias P = PickleAssembler

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Oracles.directory.appendingPathComponent("pth/" + name)))
    }

    /// The read fails with a one-line TorchFormatError naming the file, containing `fragment`.
    static func expectRefused(_ bytes: [UInt8], _ fragment: String, limits: PickleLimits = .standard,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try TorchFile.readStateDict(bytes: bytes, path: "crafted.pth", limits: limits)
            Issue.record("accepted; expected an error containing \(fragment)", sourceLocation: sourceLocation)
        } catch let error as TorchFormatError {
            let message = error.description
            #expect(message.hasPrefix("crafted.pth: ") && !message.contains("\n"), "\(message)", sourceLocation: sourceLocation)
            #expect(message.contains(fragment), "\(message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    static func expectOneLineErrorOrSuccess(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try TorchFile.readStateDict(bytes: bytes, path: "crafted.pth")
            return true
        } catch let error as TorchFormatError {
            #expect(error.description.hasPrefix("crafted.pth: ") && !error.description.contains("\n"), "\(error)")
            return false
        } catch {
            Issue.record("unexpected error type: \(error)")
            return false
        }
    }

    @Test(arguments: ["dtypes.pth", "dtypes_deflated.pth", "resnet8_legacy.pth"])
    func everyTruncationIsAnError(_ name: String) throws {
        let bytes = try Self.fixture(name)
        let step = max(1, bytes.count / 1500)
        for length in stride(from: 0, to: bytes.count, by: step) {
            #expect(!Self.expectOneLineErrorOrSuccess(Array(bytes.prefix(length))), "\(name) cut to \(length) bytes was accepted")
        }
    }

    @Test(arguments: ["dtypes.pth", "dtypes_deflated.pth"])
    func corruptedBytesNeverCrashAndCorruptedDataIsCaught(_ name: String) throws {
        let bytes = try Self.fixture(name)
        for position in bytes.indices {
            var corrupted = bytes
            corrupted[position] ^= 0x5A
            _ = Self.expectOneLineErrorOrSuccess(corrupted)
        }
        // A flipped bit inside a stored entry (here data.pkl, which starts the archive) fails its CRC-32.
        var corrupted = bytes
        corrupted[300] ^= 0x01
        if name == "dtypes.pth" { Self.expectRefused(corrupted, "CRC-32 mismatch") }
    }

    @Test func storagesOutsideTheArchiveAreRefused() throws {
        var bytes = try Self.fixture("dtypes.pth")
        let from = Array("dtypes/data/0".utf8), to = Array("dtypes/data/Z".utf8)
        var position = 0
        while position + from.count <= bytes.count {
            if Array(bytes[position..<position + from.count]) == from { bytes.replaceSubrange(position..<position + from.count, with: to) }
            position += 1
        }
        Self.expectRefused(bytes, "storage 0 points outside the archive: no entry dtypes/data/0")

        let object = P.dict([("w", P.tensor(key: "7", numel: 4, shape: [4], stride: [1]))])
        Self.expectRefused(P.legacy(object, keys: [], storages: []), "storage 7 points outside the file")
        Self.expectRefused(P.legacy(object, keys: ["7"], storages: [(4, P.floats([1, 2]))]), "runs past the end of the file")
        Self.expectRefused(P.legacy(object, keys: ["7"], storages: [(1 << 40, [])]), "has 1099511627776 elements, the pickle says 4")
    }

    @Test func aHandAssembledLegacyFileReads() throws {
        let object = P.dict([("w", P.tensor(key: "7", numel: 6, offset: 1, shape: [2, 2], stride: [1, 2]))])
        let state = try TorchFile.readStateDict(bytes: P.legacy(object, keys: ["7"], storages: [(6, P.floats([0, 1, 2, 3, 4, 5]))]), path: "x")
        #expect(state.tensors.count == 1 && state.tensors[0].tensor.floats == [1, 3, 2, 4])
    }

    @Test func viewsBeyondTheirStorageAreRefused() {
        let object = P.dict([("w", P.tensor(numel: 4, offset: 1, shape: [2, 2], stride: [2, 1]))])
        Self.expectRefused(P.legacy(object, keys: ["0"], storages: [(4, P.floats([1, 2, 3, 4]))]), "reaches element 4 of a 4-element storage")
        let huge = P.dict([("w", P.tensor(numel: 4, shape: [1 << 30, 1 << 30, 1 << 30], stride: [0, 0, 0]))])
        Self.expectRefused(P.legacy(huge, keys: ["0"], storages: [(4, P.floats([1, 2, 3, 4]))]), "impossibly large")
    }

    @Test func unknownGlobalsAndOpcodesAreRefused() {
        let system: [UInt8] = [0x80, 0x02] + P.global("os", "system") + P.string("echo hi") + [0x85, 0x52, 0x2E]
        Self.expectRefused(P.legacy(system, keys: [], storages: []), "refusing global os.system")
        let numpy = P.dict([("m", P.global("numpy.core.multiarray", "scalar"))])
        Self.expectRefused(P.legacy(numpy, keys: [], storages: []), "refusing global numpy.core.multiarray.scalar")
        Self.expectRefused(P.legacy([0x80, 0x02, 0x7D, 0x49, 0x2E], keys: [], storages: []), "unsupported pickle opcode 0x49")
    }

    @Test func deepNestingIsRefused() {
        let marks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 100_000) + [0x2E]
        Self.expectRefused(P.legacy(marks, keys: [], storages: []), "marks nested deeper than 200 levels")
        let tuples: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        Self.expectRefused(P.legacy(tuples, keys: [], storages: []), "values nested deeper than 200 levels")
    }

    @Test func memoAbuseIsRefused() {
        let unwritten: [UInt8] = [0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]
        Self.expectRefused(P.legacy(unwritten, keys: [], storages: []), "memo entry 4294967295 is read before it is written")
        // A huge index costs one entry, not an array up to it.
        let far: [UInt8] = [0x80, 0x02, 0x5D, 0x72, 0xF0, 0xFF, 0xFF, 0xFF, 0x2E]
        Self.expectRefused(P.legacy(far, keys: [], storages: []), "the saved object is a list, not a state dict")
        var limits = PickleLimits()
        limits.memoEntries = 100
        let many: [UInt8] = [0x80, 0x02, 0x7D] + (0..<200).flatMap { index -> [UInt8] in [0x72] + P.le(UInt64(index), 4) } + [0x2E]
        Self.expectRefused(P.legacy(many, keys: [], storages: []), "more than 100 memo entries", limits: limits)
        // Sharing through the memo is by reference: 10,000 fetches of one dict stay cheap.
        let shared: [UInt8] = [0x80, 0x02, 0x5D, 0x28, 0x7D, 0x71, 0x00]
            + (0..<10_000).flatMap { _ -> [UInt8] in [0x68, 0x00] } + [0x65, 0x2E]
        Self.expectRefused(P.legacy(shared, keys: [], storages: []), "the saved object is a list, not a state dict")
        // A list that contains itself is torn down without recursion (and refused for its depth).
        let cycle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x28] + (0..<1000).flatMap { _ -> [UInt8] in [0x68, 0x00] } + [0x65, 0x2E]
        Self.expectRefused(P.legacy(cycle, keys: [], storages: []), "values nested deeper than 200 levels")
    }

    @Test func stackAndOutputCapsHold() {
        var limits = PickleLimits()
        limits.stackItems = 1000
        let tall: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x4E, count: 2000) + [0x2E]
        Self.expectRefused(P.legacy(tall, keys: [], storages: []), "more than 1000 items on the pickle stack", limits: limits)
        // A thousand 1M-element views of one 1M-element storage would convert to 4 GB.
        let view = P.tensor(numel: 1 << 20, shape: [1 << 20], stride: [1])
        let object = P.dict((0..<1000).map { ("w\($0)", view) })
        Self.expectRefused(P.legacy(object, keys: ["0"], storages: [(1 << 20, [UInt8](repeating: 0, count: 4 << 20))]),
                           "the tensors would take more than")
    }

    @Test func nonStateDictsAreRefusedWithTheirKeys() {
        let object = P.dict([("epoch", P.int(3)), ("arch", P.string("resnet"))])
        Self.expectRefused(P.legacy(object, keys: [], storages: []), "no state dict: the saved dict holds non-tensor values and no state_dict or model entry (keys: epoch, arch)")
        Self.expectRefused(Array("hello".utf8), "not a torch.save file")
    }
}
