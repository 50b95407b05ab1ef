import ArgumentParser
import Foundation
import Tensors
import TorchFormat

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a PyTorch torch.save file to a safetensors state dict.",
        discussion: """
            Reads IN with the project's own restricted reader (zip or legacy format; a bare state dict, a training \
            checkpoint's state_dict or model entry, DataParallel names kept as they are) and writes exactly what it read: \
            floating-point tensors as F32, integer and bool tensors as I64. Nothing in the file is ever executed.
            """
    )

    @Argument(help: "A file written by torch.save (.pth, .pt, .pth.tar, .bin, ...).")
    var input: String

    @Option(help: "The safetensors file to write (default: IN with the extension .safetensors).")
    var out: String?

    var outputPath: String {
        if let out { return out }
        var stem = input
        for suffix in [".pth.tar", ".pth", ".pt", ".tar", ".bin"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
            break
        }
        return stem + ".safetensors"
    }

    func validate() throws {
        if URL(fileURLWithPath: outputPath).standardizedFileURL == URL(fileURLWithPath: input).standardizedFileURL {
            throw ValidationError("--out \(outputPath) would overwrite the input")
        }
    }

    func run() throws {
        let state = try TorchFile.readStateDict(contentsOf: URL(fileURLWithPath: input))
        let data = state.safeTensors().serialized()
        try AtomicFile.write(data, to: URL(fileURLWithPath: outputPath))
        var types: [String: Int] = [:]
        for (_, tensor) in state.tensors { types[tensor.dtype.rawValue, default: 0] += 1 }
        let summary = types.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let elements = state.tensors.reduce(0) { $0 + $1.tensor.shape.reduce(1, *) }
        print("\(outputPath): \(state.tensors.count) tensors (\(summary)), \(elements) values, \(data.count) bytes")
    }
}
