import Foundation
import Testing
import Tensors
import TestSupport

@Suite struct SafeTensorsTests {
    func sample() -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["epoch": "3", "note": "hello"])
        writer.add("weight", Tensor([1.5, -2, 3, 4], shape: [2, 2]))
        writer.add("double", doubles: [0.1, 0.2, 0.3], shape: [3])
        writer.add("steps", int64s: [1, -2], shape: [2])
        writer.add("indices", int32s: [7], shape: [1])
        writer.add("pixels", bytes: [0, 255, 128], shape: [1, 3])
        writer.add("empty", Tensor.zeros([0, 3]))
        return writer
    }

    @Test func roundTripsEveryDTypeAndTheMetadata() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("sample.safetensors")
        try sample().write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata == ["epoch": "3", "note": "hello"])
        #expect(try file.tensor("weight").scalars == [1.5, -2, 3, 4])
        #expect(try file.tensor("weight").shape == [2, 2])
        #expect(try file.doubles("double") == [0.1, 0.2, 0.3])
        #expect(try file.integers("steps") == [1, -2])
        #expect(try file.integers("indices") == [7])
        #expect(try file.integers("pixels") == [0, 255, 128])
        #expect(try file.entry("pixels").dtype == .uint8)
        #expect(try file.tensor("empty").shape == [0, 3])
        #expect(Set(file.names) == ["weight", "double", "steps", "indices", "pixels", "empty"])
        #expect(throws: SafeTensorsError.self) { try file.integers("weight") }
        #expect(throws: SafeTensorsError.self) { try file.tensor("missing") }
    }

    @Test func headerIsEightByteAlignedAsTheReferenceRequires() {
        let bytes = sample().serialized()
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(length % 8 == 0)
    }

    /// A file built from a raw header and data section.
    func file(header: String, data: [UInt8] = []) -> Data {
        var bytes = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    static let corruptions: [(String, String)] = [
        ("too short", ""),
        ("header longer than file", "LONG"),
        ("not json", "{not json"),
        ("not an object", "[1, 2]"),
        ("unknown dtype", #"{"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}"#),
        ("no dtype", #"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#),
        ("negative shape", #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#),
        ("fractional shape", #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#),
        ("offsets past data", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#),
        ("size mismatch", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#),
        ("reversed offsets", #"{"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}"#),
        ("overlap", #"{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#),
        ("hole", #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#),
        ("trailing bytes", #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}"#),
        ("bad metadata", #"{"__metadata__": {"k": 1}, "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}"#),
        ("overflowing shape", #"{"a": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}"#),
    ]

    @Test(arguments: corruptions)
    func corruptFilesThrowNamingTheProblem(name: String, header: String) {
        let bytes: Data
        switch name {
        case "too short": bytes = Data([1, 2, 3])
        case "header longer than file": bytes = Data([255, 0, 0, 0, 0, 0, 0, 0]) + Data("{}".utf8)
        default: bytes = file(header: header, data: [1, 2, 3, 4])
        }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: bytes, path: "corrupt.safetensors") }
        do {
            _ = try SafeTensorsFile(bytes: bytes, path: "corrupt.safetensors")
        } catch {
            #expect(String(describing: error).hasPrefix("corrupt.safetensors: "))
        }
    }

    @Test func truncatedRealFileThrows() throws {
        let bytes = sample().serialized()
        for cut in [4, 20, bytes.count - 1] {
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: bytes.prefix(cut), path: "cut") }
        }
    }

    /// Another format is named as such; a real file cut short is still called truncated.
    @Test func otherFormatsAreNamedNotParsed() throws {
        let cases: [(Data, String)] = [
            (Data("# A README, long enough to hold a header\n".utf8), "a text file starting \"# A README, long\""),
            (Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 30)), "a zip archive, as torch.save writes .pth files"),
            (Data(), "an empty file"),
        ]
        for (bytes, looksLike) in cases {
            let error = try #require(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: bytes, path: "x") }
            #expect(error.description == "x: not a safetensors file: it looks like \(looksLike)")
        }
        let real = sample().serialized()
        do {
            _ = try SafeTensorsFile(bytes: real.prefix(40), path: "cut")
            Issue.record("a truncated file was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("cut: truncated: header claims"))
        }
    }

    @Test func missingFileThrows() {
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors")) }
    }
}
