import ArgumentParser
import Foundation
import Training

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a checkpoint as an ONNX model (opset 17) for ONNX Runtime and other ONNX consumers.",
        discussion: """
            The graph is the checkpoint's evaluation-mode forward pass, the MPW head's Sinkhorn iterations and stopping \
            rule included, with a dynamic batch dimension: input `images` (batch, C, H, W) preprocessed as the model's \
            test images are, output `logits` (batch, classes). The preprocessing (size, grey-image padding, mean, std), \
            the class names and the head settings are in the model's metadata_props. See docs/interop.md.
            """
    )

    @Argument(help: "A checkpoint written by mpw train (last.safetensors or best.safetensors).")
    var checkpoint: String

    @Option(help: "The ONNX file to write (default: the checkpoint's path with the extension .onnx).")
    var out: String?

    var outputPath: String {
        if let out { return out }
        let url = URL(fileURLWithPath: checkpoint)
        return url.deletingPathExtension().appendingPathExtension("onnx").path
    }

    func run() throws {
        let contents = try Checkpoint.read(URL(fileURLWithPath: checkpoint))
        let trained = try TrainedModel(checkpoint: contents)
        let model = try ONNXExport.model(trained)
        try ONNXExport.write(model, to: URL(fileURLWithPath: outputPath))
        let (channels, height, width) = trained.inputShape
        let configuration = contents.configuration
        print("\(outputPath): \(configuration.model) + \(configuration.head.kind), \(trained.classNames.count) classes, "
              + "input (batch, \(channels), \(height), \(width)), ONNX opset \(ONNXExport.opset)")
    }
}
