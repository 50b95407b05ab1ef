import Foundation
import Testing
import Tensors
import TestSupport
@testable import TorchFormat

/// Our torch.save writer (`TorchArchiveWriter`): its file for a fixed state dict is byte for
/// byte `pth/mpw_written.pth`, which PyTorch 2.15.0 loaded with torch.load(weights_only=True)
/// (values, dtypes and shapes checked); our reader reads what it writes exactly.
@Suite struct TorchWriterTests {
    /// The tensors of `pth/mpw_written.safetensors`, in its order.
    static let state: [(name: String, tensor: TorchTensor)] = [
        ("conv.weight", TorchTensor(dtype: .float32, shape: [2, 1, 3, 3], values: .floats((0..<18).map { Float($0) * 0.125 - 1 }))),
        ("bn.weight", TorchTensor(dtype: .float32, shape: [2], values: .floats([1.5, -0.5]))),
        ("bn.running_var", TorchTensor(dtype: .float32, shape: [2], values: .floats([0.25, 4]))),
        ("bn.num_batches_tracked", TorchTensor(dtype: .int64, shape: [], values: .integers([7]))),
        ("head.proxies", TorchTensor(dtype: .float32, shape: [2, 2, 3], values: .floats((0..<12).map { (Float($0) - 6) / 4 }))),
        ("fc.bias", TorchTensor(dtype: .float32, shape: [3], values: .floats([0.1, 0.2, -0.3]))),
    ]

    @Test func writesTheFilePyTorchLoaded() throws {
        let written = try TorchArchiveWriter.archive(Self.state, path: "mpw_written.pth")
        let loaded = try Data(contentsOf: Oracles.directory.appendingPathComponent("pth/mpw_written.pth"))
        #expect(written == [UInt8](loaded))
    }

    @Test func readsBackExactly() throws {
        let written = try TorchArchiveWriter.archive(Self.state, path: "mpw_written.pth")
        let read = try TorchFile.readStateDict(bytes: written, path: "mpw_written.pth")
        #expect(read.tensors.map(\.name) == Self.state.map(\.name))
        for ((_, tensor), (name, expected)) in zip(read.tensors, Self.state) {
            #expect(tensor.shape == expected.shape && tensor.dtype == expected.dtype, "\(name)")
            #expect(tensor.values == expected.values, "\(name)")
        }
    }

    /// The layout torch.save uses: entries under one folder, data.pkl first and version last,
    /// every entry stored and its data on a 64-byte boundary.
    @Test func layoutIsTorchSaves() throws {
        let written = try TorchArchiveWriter.archive(Self.state, path: "x.pth")
        let archive = try ZipArchive(bytes: written, path: "x.pth")
        #expect(archive.names == ["archive/data.pkl", "archive/byteorder"] + (0..<6).map { "archive/data/\($0)" } + ["archive/version"])
        for name in archive.names {
            let entry = archive.entries[name]!
            #expect(entry.method == 0)
            let nameLength = Int(written[entry.localHeaderOffset + 26]) | Int(written[entry.localHeaderOffset + 27]) << 8
            let extraLength = Int(written[entry.localHeaderOffset + 28]) | Int(written[entry.localHeaderOffset + 29]) << 8
            #expect((entry.localHeaderOffset + 30 + nameLength + extraLength) % 64 == 0, "\(name)")
        }
        #expect(String(decoding: try archive.contents(of: "archive/version"), as: UTF8.self) == "3\n")
        #expect(String(decoding: try archive.contents(of: "archive/byteorder"), as: UTF8.self) == "little")
    }

    @Test func pickleIntegersTakeTheSmallestOpcode() {
        var writer = PickleWriter()
        for value in [5, 300, 70_000, -1, 1 << 40] { writer.int(value) }
        #expect(writer.bytes == [0x80, 2, 0x4B, 5, 0x4D, 0x2C, 0x01, 0x4A, 0x70, 0x11, 0x01, 0x00, 0x4A, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0x8A, 6, 0, 0, 0, 0, 0, 1])
    }

    @Test func namesTwiceAreRefused() {
        #expect(throws: TorchFormatError(path: "x.pth", "the state dict names fc.bias twice")) {
            try TorchArchiveWriter.archive([Self.state[5], Self.state[5]], path: "x.pth")
        }
    }
}
