import ArgumentParser
import Datasets
import Foundation
import Training

/// `mpw explain`: pictures of where each proxy of a class attaches on an image (the matching
/// flow of the MPW head), and the training patches each proxy takes most mass from.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Draw the matching flow of an MPW checkpoint: one heatmap per proxy, the argmax proxy, prototype patches.",
        discussion: """
        For each image: IMAGE-proxyM.png, the flow T[:, m] of proxy m upsampled bilinearly to the image, \
        min-max normalised, jet-coloured and blended half and half with the image as the network saw it; \
        IMAGE-argmax.png, the proxy taking most flow at each pixel in its own colour; explain.json with \
        every map, each proxy's share of the mass and its part of the class score (also in each PNG's tEXt \
        chunks). --sheet draws all images on one sheet instead. --prototypes draws, for each class, the \
        training patches where each proxy takes most mass (one sheet per class).
        """
    )

    @Option(help: "A checkpoint of a model with the mpw (or multifc-cosine) head.")
    var checkpoint: String

    @Argument(help: ArgumentHelp("Image files (JPEG or PNG) to explain.", valueName: "image"))
    var images: [String] = []

    @Option(name: .customLong("class"), help: ArgumentHelp("The class to explain, by index or name (default: the predicted class).", valueName: "k"))
    var classChoice: String?

    @Flag(help: "Explain the predicted class (the default).")
    var predicted = false

    @Option(help: ArgumentHelp("Folder for the pictures and explain.json.", valueName: "dir"))
    var out = "explain"

    @Flag(help: "Draw every image on one sheet (sheet.png: one row per image, one column per proxy).")
    var sheet = false

    @Option(parsing: .unconditional, help: "Enlarge pictures this many times (default: 4 for 28x28 and 32x32 inputs, 1 for 224x224).")
    var scale: Int?

    @Flag(help: "Draw each class's prototype patches from the training split instead of explaining images.")
    var prototypes = false

    @Option(help: "--prototypes: the dataset to search (default: the checkpoint's).")
    var dataset: String?

    @Option(help: ArgumentHelp("--prototypes: its directory (default: the checkpoint's).", valueName: "dir"))
    var data: String?

    @Option(parsing: .unconditional, help: "--prototypes: patches per proxy.")
    var top = 8

    @Option(parsing: .unconditional, help: "--prototypes: search only the first N training images.")
    var limit: Int?

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch = 128

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        try requireCounts(("--top", top), ("--limit", limit), ("--batch", batch), ("--scale", scale))
        guard !(predicted && classChoice != nil) else { throw ValidationError("--class and --predicted exclude each other") }
        if prototypes {
            guard images.isEmpty else { throw ValidationError("--prototypes searches the training split; name no images") }
            guard classChoice == nil && !predicted && !sheet else { throw ValidationError("--prototypes takes no --class, --predicted or --sheet") }
        } else {
            guard !images.isEmpty else { throw ValidationError("name at least one image to explain (or use --prototypes)") }
            guard dataset == nil && data == nil && limit == nil else { throw ValidationError("--dataset, --data and --limit go with --prototypes") }
        }
    }

    func run() throws {
        compute.apply()
        let model = try TrainedModel(checkpoint: try Checkpoint.read(URL(fileURLWithPath: checkpoint)))
        guard model.multiProxyHead != nil else {
            throw ConfigurationError("\(checkpoint): the \(model.checkpoint.configuration.head.kind) head has no matching flow; explain needs an mpw (or multifc-cosine) checkpoint")
        }
        let scale = self.scale ?? max(1, 128 / model.inputShape.height)
        let out = Self.folder(self.out)
        if prototypes {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let complete = try PrototypeSheets.write(model: model, datasetName: dataset, directory: data, limit: limit, top: top,
                                                     batch: batch, scale: scale, out: out)
            if !complete { throw ExitCode(130) }
            return
        }
        let chosen = try classChoice.map { try Self.classIndex($0, names: model.classNames) }
        let (decoded, errors) = ImageFiles.decode(images)
        errors.forEach(ErrorLines.print)
        guard !decoded.isEmpty else { throw ExitCode(1) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let report = try FlowPictures.write(decoded, model: model, classIndex: chosen, scale: scale, sheet: sheet, out: out,
                                            checkpoint: checkpoint, batch: batch)
        print("wrote \(report.images.count) explanation\(report.images.count == 1 ? "" : "s") to \(out)/ (explain.json\(sheet ? ", sheet.png" : ""))")
        if !errors.isEmpty {
            ErrorLines.print("\(errors.count) image\(errors.count == 1 ? "" : "s") could not be read")
            throw ExitCode(1)
        }
    }

    /// The --out folder without trailing slashes, so `--out explain/` names files explain/a.png, not explain//a.png.
    static func folder(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    /// A class given by index or by name (case-insensitive).
    static func classIndex(_ text: String, names: [String]) throws -> Int {
        if let index = Int(text) {
            guard names.indices.contains(index) else { throw ConfigurationError("--class \(index): the model has classes 0 to \(names.count - 1)") }
            return index
        }
        guard let index = names.firstIndex(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else {
            throw ConfigurationError("--class \(text): not a class index or name (\(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", ..." : ""))")
        }
        return index
    }
}
