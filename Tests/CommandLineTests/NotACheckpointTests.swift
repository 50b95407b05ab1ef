import Foundation
import Testing
import TestSupport
import Training
@testable import mpw

/// Files that are not checkpoints (a text file, an ONNX model, a text file named .pth) given where
/// a checkpoint or weights file belongs: one line naming the file and what it is instead.
@Suite struct NotACheckpointTests {
    /// The start of an ONNX ModelProto as torch.onnx.export writes it: ir_version 8, then producer_name "pytorch".
    static let onnxBytes = Data([0x08, 0x08, 0x12, 0x07]) + Data("pytorch".utf8) + Data([0x1A, 0x05]) + Data("2.1.0".utf8) + Data(repeating: 0, count: 32)

    static func files(in root: TemporaryDirectory) throws -> (notes: String, onnx: String, fakePth: String) {
        let notes = root.file("notes.txt"), onnx = root.file("model.onnx"), fakePth = root.file("weights.pth")
        try Data("# Multi-Proxy Wasserstein classifier, my notes\nrun 3 was the best\n".utf8).write(to: notes)
        try Self.onnxBytes.write(to: onnx)
        try Data("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1234\n".utf8).write(to: fakePth)
        return (notes.path, onnx.path, fakePth.path)
    }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch {
            return MPW.message(for: error)
        }
    }

    @Test func checkpointReadersNameTheFileAndWhatItIs() throws {
        let root = try TemporaryDirectory()
        let (notes, onnx, fakePth) = try Self.files(in: root)
        let asCheckpoint = [notes, onnx, fakePth].map { path in Self.message { _ = try Checkpoint.read(URL(fileURLWithPath: path)) } }
        #expect(asCheckpoint[0] == "\(notes): not a safetensors file: it looks like a text file starting \"# Multi-Proxy Wa\"")
        #expect(asCheckpoint[1] == "\(onnx): not a safetensors file: it looks like an ONNX model")
        #expect(asCheckpoint[2] == "\(fakePth): not a safetensors file: it looks like a text file starting \"version https://\"")
        let asInit = Self.message { _ = try InitialWeights.read(onnx) }
        #expect(asInit == "--init \(onnx): neither a torch.save file (.pth) nor a safetensors file: it looks like an ONNX model")
        let asPth = Self.message { _ = try StateDictFile.read(fakePth) }
        #expect(asPth == "\(fakePth): neither a torch.save file (.pth) nor a safetensors file: it looks like a text file starting \"version https://\"")
    }

    @Test(.enabled(if: BuiltProducts.mpw != nil, "needs the built mpw"))
    func commandsPrintOneLine() throws {
        let root = try TemporaryDirectory()
        let (notes, onnx, _) = try Self.files(in: root)
        let cases: [(arguments: [String], file: String)] = [
            (["eval", "--checkpoint", notes], notes), (["predict", "--checkpoint", onnx, notes], onnx),
            (["export", notes, "--out", root.file("x.onnx").path], notes), (["convert", onnx, root.file("x.pth").path], onnx),
        ]
        for (arguments, file) in cases {
            let outcome = try MPWProcess.run(arguments)
            let lines = outcome.errors.split(separator: "\n")
            #expect(outcome.status != 0 && lines.count == 1 && lines[0].hasPrefix("Error: \(file): "), "\(arguments): \(outcome.errors)")
        }
    }
}
