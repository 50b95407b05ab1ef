import Datasets
import Foundation
import Models
import MultiProxy
import Testing
import Tensors
import TestSupport
@testable import Training

/// `TrainedModel`: a checkpoint classifies image files with its own preprocessing, and keeps
/// its class names.
@Suite(.serialized) struct PredictionTests {
    /// Classes 0-4 of a dataset a network learns in a few steps whatever the image's size,
    /// colour or compression: the brightness of a noisy image, one level per class.
    static let levels = [15, 90, 165, 240]

    /// A 32x32 HWC RGB image of class `label`.
    static func pattern(_ label: Int, generator: inout RandomGenerator) -> [UInt8] {
        (0..<(32 * 32 * 3)).map { _ in UInt8(levels[label] + generator.nextInt(below: 21) - 10) }
    }

    /// `cifar-10-batches-bin/` with `count` training images of classes 0-4 (and 8 test images).
    static func writeBrightnessDataset(in root: URL, count: Int) throws -> URL {
        let directory = root.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = RandomGenerator(seed: 3)
        func records(_ count: Int) -> Data {
            var bytes: [UInt8] = []
            for index in 0..<count {
                let label = index % levels.count
                let hwc = pattern(label, generator: &generator)
                bytes.append(UInt8(label))
                for channel in 0..<3 { for position in 0..<1024 { bytes.append(hwc[position * 3 + channel]) } }
            }
            return Data(bytes)
        }
        for file in 1...5 { try records(count / 5).write(to: directory.appendingPathComponent("data_batch_\(file).bin")) }
        try records(8).write(to: directory.appendingPathComponent("test_batch.bin"))
        try (0..<10).map { "class\($0)" }.joined(separator: "\n")
            .write(to: directory.appendingPathComponent("batches.meta.txt"), atomically: true, encoding: .utf8)
        return directory
    }

    /// `pixels` (32x32 HWC) resampled by nearest neighbour to `height` x `width`.
    static func resized(_ pixels: [UInt8], height: Int, width: Int, channels: Int = 3) -> [UInt8] {
        var result: [UInt8] = []
        for row in 0..<height {
            for column in 0..<width {
                let source = ((row * 32 / height) * 32 + column * 32 / width) * channels
                result += pixels[source..<(source + channels)]
            }
        }
        return result
    }

    static func grey(_ pixels: [UInt8]) -> [UInt8] {
        stride(from: 0, to: pixels.count, by: 3).map { offset -> UInt8 in
            let sum = UInt32(pixels[offset]) + UInt32(pixels[offset + 1]) + UInt32(pixels[offset + 2])
            return UInt8(sum / 3)
        }
    }

    static func foolboxImages() -> [String] {
        var folders = ProcessInfo.processInfo.environment["FOOLBOX_DATA"].map { [$0] } ?? []
        for lib in ["/usr/lib", "/usr/local/lib", NSHomeDirectory() + "/.local/lib"] {
            for python in (try? FileManager.default.contentsOfDirectory(atPath: lib))?.filter({ $0.hasPrefix("python3") }) ?? [] {
                for packages in ["site-packages", "dist-packages"] { folders.append("\(lib)/\(python)/\(packages)/foolbox/data") }
            }
        }
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted().map { "\(folder)/\($0)" }
        }
    }

    @Test func aTrainedModelClassifiesImageFilesOfKnownClasses() throws {
        let root = try TemporaryDirectory()
        let data = try Self.writeBrightnessDataset(in: root.url, count: 400)
        let configuration = TrainerTests.configuration(data: data, head: .mpw, epochs: 2)
        let trainer = try TrainerTests.newRun(configuration, in: root.file("run"))
        try trainer.train()
        let contents = try Checkpoint.read(trainer.directory.lastCheckpoint)
        #expect(contents.storedClassNames == (0..<10).map { "class\($0)" })
        let model = try TrainedModel(checkpoint: contents)
        #expect(model.classNames == contents.storedClassNames)
        #expect(model.inputShape == (3, 32, 32))

        // Files in every form a user may have: PNG at the dataset's size, enlarged and non-square
        // PNG, grey PNG, JPEG; all of known class.
        var generator = RandomGenerator(seed: 5)
        var files: [(path: String, label: Int)] = []
        for label in 0..<Self.levels.count {
            let pixels = Self.pattern(label, generator: &generator)
            let forms: [(String, [UInt8])] = [
                ("png", try PNGCodec.encode(pixels, width: 32, height: 32, channels: 3)),
                ("big.png", try PNGCodec.encode(Self.resized(pixels, height: 96, width: 80), width: 80, height: 96, channels: 3)),
                ("grey.png", try PNGCodec.encode(Self.grey(pixels), width: 32, height: 32, channels: 1)),
                ("jpg", try JPEGCodec.encode(Self.resized(pixels, height: 64, width: 64), width: 64, height: 64, channels: 3, quality: 95)),
            ]
            for (suffix, bytes) in forms {
                let path = root.file("class\(label).\(suffix)").path
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                files.append((path, label))
            }
        }
        let images = try files.map { try ImageDecoder.decode(fileAt: $0.path) }
        let ranked = try model.classify(images, top: 3)
        #expect(ranked.allSatisfy { $0.count == 3 && $0[0].probability >= $0[1].probability && $0[1].probability >= $0[2].probability })
        let correct = zip(ranked, files).filter { $0.0[0].index == $0.1.label }.count
        let outcomes = zip(ranked, files).map { "\($0.1.path.split(separator: "/").last!) -> \($0.0[0].index)" }.joined(separator: ", ")
        #expect(correct == files.count, "\(correct) of \(files.count) image files classified as their class: \(outcomes)")
        let full = try model.classify(images, top: 10)
        #expect(full.allSatisfy { abs($0.map(\.probability).reduce(0, +) - 1) < 1e-9 })

        // A test-split record written as PNG gets exactly the logits the evaluation path gives it.
        let evaluation = try EvaluationSetup(checkpoint: contents, datasetName: nil, directory: nil, limit: 8)
        evaluation.model.eval()
        let loader = try BatchLoader(dataset: evaluation.dataset, batchSize: 8, shuffle: false, dropLast: false,
                                     transform: evaluation.transform, seed: 0, epoch: 0, workers: 0)
        let testImages = try #require(try loader.next()).images
        let expected = withoutGradients { evaluation.model(testImages) }.scalars
        let records = try (0..<8).map { index in
            try evaluation.dataset.withImage(at: index) { view in
                DecodedImage(width: 32, height: 32, channels: 3, pixels: (0..<(32 * 32 * 3)).map { view[$0 % 3, $0 / 96, ($0 / 3) % 32] })
            }
        }
        let decoded = try records.map { try ImageDecoder.decode(PNGCodec.encode($0.pixels, width: 32, height: 32, channels: 3), path: "record") }
        let input = try model.batch(decoded).images
        let logits = withoutGradients { model.model(input) }.scalars
        #expect(logits.count == expected.count)
        #expect(zip(logits, expected).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })

        // The proxies' score contributions add up to the class score (no bias).
        let (explanations, explainedLogits) = model.explain(try model.batch(Array(images.prefix(4))).images, classes: [nil, 3, nil, 0])
        for (index, explanation) in explanations.enumerated() {
            #expect(explanation.classIndex == [ranked[0][0].index, 3, ranked[2][0].index, 0][index])
            let sum = explanation.proxies.map(\.contribution).reduce(0, +)
            #expect(abs(sum - explanation.score) <= 1e-4 * max(1, abs(explanation.score)))
            #expect(abs(explainedLogits.scalars[index * 10 + explanation.classIndex] - explanation.score) < 1e-6)
            #expect(explanation.proxies.allSatisfy { abs($0.massShare - 0.25) < 0.02 && $0.map.count == 64 })
        }

        // Real photos, when foolbox's sample images are installed: every one is read and classified.
        let photos = Self.foolboxImages()
        if !photos.isEmpty {
            let results = try model.classify(try photos.map { try ImageDecoder.decode(fileAt: $0) }, top: 10)
            #expect(results.count == photos.count)
            #expect(results.allSatisfy { abs($0.map(\.probability).reduce(0, +) - 1) < 1e-9 })
        }
    }

    /// Checkpoints written before class names were stored: the dataset's fixed names when it has
    /// them, else the class indices, with the class count read from the head's tensors.
    @Test(arguments: [("cifar10", 10, CIFAR10.classNames), ("cifar100", 7, (0..<7).map(String.init)),
                      ("fashion-mnist", 10, MNISTStyle.fashionMNISTClassNames), ("folder", 3, ["0", "1", "2"])])
    func oldCheckpointsGetFallbackNames(dataset: String, classes: Int, names: [String]) throws {
        let root = try TemporaryDirectory()
        var configuration = TrainerTests.configuration(data: root.url, head: .mpw)
        configuration.dataset = dataset
        configuration.model = dataset == "folder" ? "resnet18" : "resnet20"
        let kind = DatasetKind(rawValue: dataset)!
        let channels = kind.imageShape.channels
        var generator = RandomGenerator(seed: 1)
        let model = try ModelZoo.classifier(configuration.model, head: try configuration.head.configuration(), classes: classes,
                                            inputChannels: channels, inputSize: dataset == "folder" ? 224 : 32, generator: &generator)
        let path = root.file("old.safetensors")
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start)
        let contents = try Checkpoint.read(path)
        #expect(contents.storedClassNames == nil)
        let trained = try TrainedModel(checkpoint: contents)
        #expect(trained.classNames == names)
        #expect(trained.inputShape.channels == channels)

        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start,
                             classNames: (0..<classes).map { "name \($0)" })
        #expect(try TrainedModel(checkpoint: Checkpoint.read(path)).classNames == (0..<classes).map { "name \($0)" })
    }

    /// Grey 28x28 models: any image becomes grey, is resized to 28x28 and padded to 32x32.
    @Test func greyModelsSeeImagesAsFashionMNIST() throws {
        let adaptation = ImageAdaptation(for: .fashionMNIST)
        var generator = RandomGenerator(seed: 2)
        let colour = DecodedImage(width: 50, height: 70, channels: 3, pixels: (0..<(50 * 70 * 3)).map { _ in UInt8(generator.nextInt(below: 256)) })
        let adapted = adaptation.apply(to: colour)
        #expect(adapted.channels == 1 && adapted.width == 28 && adapted.height == 28)
        let values: [UInt8] = (0..<(28 * 28)).map { UInt8($0 % 256) }
        let grey = DecodedImage(width: 28, height: 28, channels: 3, pixels: values.flatMap { [$0, $0, $0] })
        #expect(adaptation.apply(to: grey).pixels == values)
    }
}
