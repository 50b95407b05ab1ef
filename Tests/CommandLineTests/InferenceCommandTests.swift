import Datasets
import Foundation
import Models
import MultiProxy
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw

/// `mpw predict` and `mpw explain` on files written by the test, with an untrained CIFAR-sized
/// MPW checkpoint: output formats, bad files, and pictures that show exactly the matching flow.
@Suite(.serialized) struct InferenceCommandTests {
    static func checkpoint(in root: TemporaryDirectory) throws -> TrainedModel {
        let head = HeadSettings(HeadConfiguration(kind: .mpw, wasserstein: WassersteinMatching()))
        let configuration = TrainingConfiguration(
            dataset: "cifar10", dataDirectory: nil, limitTrain: nil, limitTest: nil, greyscaleAdaptation: "pad-to-32", cutMix: false,
            workers: 0, model: "resnet20", head: head, epochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.9, weightDecay: 0,
            nesterov: false, decayNormalizationAndBias: true, labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine, warmupEpochs: 0),
            seed: 1, threads: 2)
        var generator = RandomGenerator(seed: 4)
        let model = try ModelZoo.classifier("resnet20", head: try head.configuration(), classes: 10, generator: &generator)
        let path = root.file("model.safetensors")
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start,
                             classNames: CIFAR10.classNames.map { $0 == "ship" ? "cargo, ship" : $0 })
        return try TrainedModel(checkpoint: try Checkpoint.read(path))
    }

    /// Random RGB images: a 32x32 PNG, a 50x40 JPEG and a grey 20x30 PNG.
    static func writeImages(in root: TemporaryDirectory) throws -> [String] {
        var generator = RandomGenerator(seed: 8)
        func pixels(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(generator.nextInt(below: 256)) } }
        let files = [
            ("a.png", try PNGCodec.encode(pixels(32 * 32 * 3), width: 32, height: 32, channels: 3)),
            ("b.jpg", try JPEGCodec.encode(pixels(50 * 40 * 3), width: 50, height: 40, channels: 3, quality: 90)),
            ("c.png", try PNGCodec.encode(pixels(20 * 30), width: 20, height: 30, channels: 1)),
        ]
        try FileManager.default.createDirectory(at: root.file("images"), withIntermediateDirectories: true)
        return try files.map { name, bytes in
            try Data(bytes).write(to: root.file("images/\(name)"))
            return root.file("images/\(name)").path
        }
    }

    /// The tEXt chunks of a PNG file, keyword to text.
    static func textChunks(_ bytes: [UInt8]) -> [String: String] {
        var chunks: [String: String] = [:]
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if type == "tEXt" {
                let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
                let split = data.firstIndex(of: 0)!
                chunks[String(decoding: data[..<split], as: UTF8.self)] = String(decoding: data[(split + 1)...], as: UTF8.self)
            }
            offset += 12 + length
        }
        return chunks
    }

    @Test func predictPrintsEveryFormatAndReportsBadFilesOneLineEach() throws {
        let root = try TemporaryDirectory()
        let model = try Self.checkpoint(in: root)
        let images = try Self.writeImages(in: root)
        try Data("not an image".utf8).write(to: root.file("images/broken.png"))
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: images[1]))
        try jpeg.prefix(jpeg.count / 2).write(to: root.file("images/cut.jpg"))
        let paths = [root.file("images").path, root.file("missing.png").path, images[0]]

        var lines: [String] = [], errors: [String] = []
        let failures = try PredictCommand.predict(paths, model: model, top: 3, format: .csv, batch: 2,
                                                  output: { lines.append($0) }, error: { errors.append($0) })
        #expect(failures == 3)
        #expect(errors.count == 3 && errors.allSatisfy { !$0.contains("\n") })
        #expect(errors.contains { $0.contains("missing.png") } && errors.contains { $0.contains("broken.png") } && errors.contains { $0.contains("cut.jpg") })
        // The folder's three images, then a.png again; three ranks each.
        #expect(lines.first == "filename,rank,class,probability")
        #expect(lines.count == 1 + 4 * 3)
        let first = lines[1].split(separator: ",")
        #expect(first[0].hasSuffix("images/a.png") && first[1] == "1")
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(String(format: "%.6f", Double($0.split(separator: ",").last!)!)) })
        #expect(!lines.contains { $0.contains("cargo, ship") && !$0.contains("\"cargo, ship\"") })

        lines = []
        _ = try PredictCommand.predict([images[1]], model: model, top: 20, format: .json, batch: 8, output: { lines.append($0) }, error: { _ in })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let predictions = try #require(object["predictions"] as? [[String: Any]])
        #expect(lines.count == 1 && object["file"] as? String == images[1] && predictions.count == 10)
        #expect(abs(predictions.compactMap { $0["probability"] as? Double }.reduce(0, +) - 1) < 1e-6)
    }

    /// PyTorch's `interpolate(mode="bilinear", align_corners=False)` at one output pixel.
    static func bilinear(_ map: [Float], size: Int, outputSize: Int, row: Int, column: Int) -> Float {
        func source(_ index: Int) -> (Int, Int, Float) {
            let position = max(0, (Float(index) + 0.5) * Float(size) / Float(outputSize) - 0.5)
            let low = min(Int(position), size - 1)
            return (low, min(low + 1, size - 1), position - Float(low))
        }
        let (y0, y1, dy) = source(row), (x0, x1, dx) = source(column)
        return (map[y0 * size + x0] * (1 - dx) + map[y0 * size + x1] * dx) * (1 - dy) + (map[y1 * size + x0] * (1 - dx) + map[y1 * size + x1] * dx) * dy
    }

    @Test func explainDrawsTheMatchingFlowOfEveryProxy() throws {
        let root = try TemporaryDirectory()
        let model = try Self.checkpoint(in: root)
        let files = try Self.writeImages(in: root)
        let decoded = try files.map { ($0, try ImageDecoder.decode(fileAt: $0)) }
        let out = root.file("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let report = try FlowPictures.write(decoded, model: model, classIndex: 2, scale: 4, sheet: false, out: out, checkpoint: "c", batch: 2)

        let (input, pixels) = try model.batch(decoded.map(\.1))
        let head = try #require(model.multiProxyHead)
        let flow = withoutGradients { head.matchingFlow(for: model.model.backbone(input)) }  // (B, K, HW, M)
        #expect(flow.shape == [3, 10, 64, 4])
        let values = flow.scalars
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/explain.json"))) as? [String: Any])
        let entries = try #require(json["images"] as? [[String: Any]])
        #expect(entries.count == 3 && report.images.count == 3)
        for (image, entry) in entries.enumerated() {
            #expect(entry["class_index"] as? Int == 2 && entry["class_name"] as? String == "bird")
            let proxies = try #require(entry["proxies"] as? [[String: Any]])
            #expect(proxies.count == 4)
            let stem = ["a", "b", "c"][image]
            let picture = FlowPicture.enlarged(pixels[image], scale: 4)
            var contributions: Float = 0
            for (proxy, item) in proxies.enumerated() {
                // The map in explain.json is T[:, m] of matchingFlow(for:).
                let map = try #require(item["map"] as? [Double]).map(Float.init)
                let expected = (0..<64).map { values[((image * 10 + 2) * 64 + $0) * 4 + proxy] }
                #expect(zip(map, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
                // The PNG: 128x128, 0.5 image + 0.5 jet(min-max normalised bilinear upsampling of the map).
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(stem)-proxy\(proxy).png")))
                let png = try PNGCodec.decode(bytes, path: "proxy png")
                #expect(png.width == 128 && png.height == 128)
                let upsampled = (0..<(128 * 128)).map { Self.bilinear(expected, size: 8, outputSize: 128, row: $0 / 128, column: $0 % 128) }
                let (low, high) = (upsampled.min()!, upsampled.max()!)
                var worst = 0
                for pixel in 0..<(128 * 128) {
                    let x = (upsampled[pixel] - low) / (high - low)
                    let jet = [3, 2, 1].map { (min(1, max(0, 1.5 - abs(4 * x - Float($0)))) * 255).rounded() }
                    for channel in 0..<3 {
                        let blended = (Float(picture.pixels[3 * pixel + channel]) + jet[channel]) / 2
                        worst = max(worst, Int(abs(Float(png.pixels[3 * pixel + channel]) - blended).rounded(.up)))
                    }
                }
                #expect(worst <= 1, "proxy \(proxy) of \(stem): a pixel is \(worst) away from the blend")
                // Share of mass and score contribution, in the text chunks and in explain.json.
                let text = Self.textChunks(bytes)
                let share = try #require(item["mass_share"] as? Double), contribution = try #require(item["score_contribution"] as? Double)
                #expect(text["mpw.proxy"] == String(proxy) && text["mpw.class"] == "2 bird")
                #expect(abs(Double(text["mpw.mass_share"]!)! - share) < 1e-5 && abs(Double(text["mpw.score_contribution"]!)! - contribution) < 1e-5)
                #expect(abs(share - Double(expected.reduce(0, +))) < 1e-4)
                contributions += Float(contribution)
            }
            #expect(abs(contributions - Float(try #require(entry["score"] as? Double))) < 1e-3)
            let argmax = try PNGCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(stem)-argmax.png"))), path: "argmax")
            #expect(argmax.width == 128 && argmax.height > 128)
        }

        // One sheet for all: a row per image, columns image, four proxies, argmax.
        let sheetOut = root.file("sheet").path
        try FileManager.default.createDirectory(atPath: sheetOut, withIntermediateDirectories: true)
        _ = try FlowPictures.write(decoded, model: model, classIndex: nil, scale: 2, sheet: true, out: sheetOut, checkpoint: "c", batch: 8)
        let sheet = try PNGCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: sheetOut + "/sheet.png"))), path: "sheet")
        #expect(sheet.width > 6 * 64 && sheet.height > 3 * 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sheetOut).sorted() == ["explain.json", "sheet.png"])
    }

    @Test func explainRejectsBadRequestsInOneLine() throws {
        for arguments in [["--checkpoint", "c"], ["--checkpoint", "c", "x.png", "--class", "1", "--predicted"],
                          ["--checkpoint", "c", "--prototypes", "x.png"], ["--checkpoint", "c", "x.png", "--top", "0"]] {
            #expect(throws: (any Error).self) { try ExplainCommand.parse(arguments) }
        }
        #expect(throws: (any Error).self) { try PredictCommand.parse(["--checkpoint", "c", "x.png", "--json", "--csv"]) }
        #expect(throws: (any Error).self) { try PredictCommand.parse(["--checkpoint", "c"]) }
        #expect(try ExplainCommand.classIndex("Ship", names: CIFAR10.classNames) == 8)
        #expect(throws: (any Error).self) { try ExplainCommand.classIndex("10", names: CIFAR10.classNames) }
    }
}
