import ArgumentParser
import Foundation
import Tensors
import TorchFormat
import Training

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a state dict between torch.save files (.pth) and safetensors.",
        discussion: """
            IN is a torch.save file (zip or legacy; a bare state dict, a training checkpoint's state_dict or model \
            entry, DataParallel names kept as they are), a safetensors state dict, or an mpw checkpoint (its model \
            tensors). OUT's extension picks what is written: .safetensors, or .pth/.pt/.bin for a torch.save zip \
            archive that torch.load(OUT, weights_only=True) reads, under the reference PyTorch modules' names (see \
            docs/interop-pytorch.md). Floating-point tensors are written as float32, integer and bool tensors as int64. \
            Without OUT: a torch.save file becomes IN.safetensors, anything else IN.pth. Nothing in IN is ever executed.
            """
    )

    @Argument(help: "A torch.save file (.pth, .pt, .pth.tar, .bin, ...), a safetensors state dict, or an mpw checkpoint.")
    var input: String

    @Argument(help: ArgumentHelp("The file to write (.safetensors, or .pth/.pt/.bin); the same as --out.", valueName: "out"))
    var output: String?

    @Option(help: "The file to write (default: IN with the other format's extension).")
    var out: String?

    enum Target: Equatable {
        case safeTensors, torch
    }

    static let torchSuffixes = [".pth.tar", ".pth", ".pt", ".tar", ".bin"]

    /// The format an output name asks for, from its extension.
    static func target(of path: String) -> Target? {
        if path.hasSuffix(".safetensors") { return .safeTensors }
        return torchSuffixes.contains { path.hasSuffix($0) } ? .torch : nil
    }

    /// The output path: OUT, --out, or IN with the other format's extension.
    func outputPath(inputIsTorch: Bool) -> String {
        if let path = output ?? out { return path }
        var stem = input
        for suffix in Self.torchSuffixes + [".safetensors"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
            break
        }
        return stem + (inputIsTorch ? ".safetensors" : ".pth")
    }

    func validate() throws {
        if output != nil && out != nil { throw ValidationError("give the output once: as OUT or with --out, not both") }
        guard let path = output ?? out else { return }
        let flag = output != nil ? "OUT" : "--out"
        if URL(fileURLWithPath: path).standardizedFileURL == URL(fileURLWithPath: input).standardizedFileURL {
            throw ValidationError("\(flag) \(path) would overwrite the input")
        }
        if Self.target(of: path) == nil {
            throw ValidationError("\(flag) \(path): unknown extension; use .safetensors, or .pth, .pt or .bin for a torch.save file")
        }
    }

    func run() throws {
        let state = try StateDictFile.read(input)
        let path = outputPath(inputIsTorch: state.format == .torch)
        let target = Self.target(of: path) ?? (state.format == .torch ? .safeTensors : .torch)
        let sameFormat = (target == .torch && state.format == .torch) || (target == .safeTensors && state.format == .safeTensors)
        if sameFormat {
            throw ConfigurationError("\(input) is already a \(state.format.rawValue); write the other format (.safetensors or .pth)")
        }
        let data = target == .torch ? try state.torchArchive(for: path) : state.safeTensors()
        try AtomicFile.write(data, to: URL(fileURLWithPath: path))
        var types: [String: Int] = [:]
        for (_, tensor) in state.tensors {
            let written = target == .torch ? (tensor.dtype.isFloatingPoint ? "float32" : "int64") : tensor.dtype.rawValue
            types[written, default: 0] += 1
        }
        let summary = types.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let elements = state.tensors.reduce(0) { $0 + $1.tensor.shape.reduce(1, *) }
        print("\(path): \(state.tensors.count) tensors (\(summary)), \(elements) values, \(data.count) bytes")
    }
}
