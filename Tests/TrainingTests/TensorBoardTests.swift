import Datasets
import Foundation
import MultiProxy
import Testing
import Tensors
import TestSupport
@testable import Training

/// TensorBoard event files: the TFRecord checksums against known vectors, and a training run's
/// events read back by TensorBoard's own `EventAccumulator`.
@Suite(.serialized) struct TensorBoardTests {
    /// CRC-32C check values of RFC 3720 (B.4) and "123456789"; the masked forms are what
    /// TensorBoard's `masked_crc32c` gives for the same bytes.
    @Test func maskedCRC32CMatchesKnownVectors() {
        let vectors: [([UInt8], UInt32, UInt32)] = [
            ([], 0x0000_0000, 0xA282_EAD8),
            (Array("a".utf8), 0xC1D0_4330, 0x28E4_6E78),
            (Array("123456789".utf8), 0xE306_9283, 0xC78A_B0E5),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA, 0x0FD7_FFFA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43, 0xF909_B029),
            ((0..<32).map { UInt8($0) }, 0x46DD_794E, 0x951F_7892),
            (Array("brain.Event:2".utf8), 0x8B8B_6CC1, 0x7C06_01EE),
        ]
        for (bytes, crc, masked) in vectors {
            #expect(MaskedCRC32C.checksum(bytes) == crc, "\(bytes.count) bytes")
            #expect(MaskedCRC32C.masked(bytes) == masked, "\(bytes.count) bytes")
        }
    }

    /// Framed records read back, and a torn last record is dropped rather than misread.
    @Test func recordsRoundTripAndATornEndIsDropped() {
        let payloads = [Data("first".utf8), Data(), Data((0..<300).map { UInt8($0 % 251) })]
        var file = payloads.reduce(into: Data()) { $0.append(TFRecord.frame($1)) }
        #expect(TFRecord.payloads(file) == payloads)
        file.append(TFRecord.frame(Data("torn".utf8)).prefix(14))
        #expect(TFRecord.payloads(file) == payloads)
        file[file.count - 20] ^= 1
        #expect(TFRecord.payloads(file) == Array(payloads.prefix(2)))
    }

    static let reader = """
        import base64, json, sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0, "tensors": 0})
        accumulator.Reload()
        tags = accumulator.Tags()
        result = {
            "scalars": {t: [[e.step, e.value] for e in accumulator.Scalars(t)] for t in tags["scalars"]},
            "images": {t: [[e.step, base64.b64encode(e.encoded_image_string).decode(), e.width, e.height]
                           for e in accumulator.Images(t)] for t in tags["images"]},
            "texts": {t: [[e.step, [s.decode() for s in e.tensor_proto.string_val]] for e in accumulator.Tensors(t)]
                      for t in tags["tensors"]},
            "text_plugin": sorted(accumulator.PluginTagToContent("text").keys()),
        }
        with open(sys.argv[2], "w") as f:
            json.dump(result, f)
        """

    struct Events: Decodable {
        var scalars: [String: [[Double]]]
        var images: [String: [[ImageField]]]
        var texts: [String: [[TextField]]]
        var text_plugin: [String]

        enum ImageField: Decodable {
            case number(Double), text(String)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }

        enum TextField: Decodable {
            case number(Double), strings([String])
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .strings(try container.decode([String].self)) }
            }
        }
    }

    static func read(_ directory: URL) throws -> Events {
        let output = directory.appendingPathComponent("events.json")
        let outcome = try PythonTools.run(["-c", reader, directory.path, output.path])
        try #require(outcome.status == 0, "\(outcome.output)")
        defer { try? FileManager.default.removeItem(at: output) }
        return try JSONDecoder().decode(Events.self, from: Data(contentsOf: output))
    }

    /// Trains until `stopAfter` steps of this call, as Ctrl-C would stop it.
    static func train(_ trainer: Trainer, stoppingAfter stopAfter: Int?) throws {
        InterruptSignal.clear()
        defer { InterruptSignal.clear() }
        var steps = 0
        do {
            try trainer.train { event in
                if case .step = event {
                    steps += 1
                    if steps == stopAfter { InterruptSignal.request() }
                }
            }
        } catch TrainingStop.interrupted {}
    }

    static func resume(_ directory: RunDirectory) throws -> Trainer {
        let checkpoint = try Checkpoint.read(directory.lastCheckpoint)
        let trainer = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: directory, resumingFrom: checkpoint)
        try trainer.enableTensorBoard(logEvery: 2)
        return trainer
    }

    /// A run of 2 epochs of 5 steps, stopped twice and resumed once from an older checkpoint (as
    /// after a crash that lost the later ones): TensorBoard reads every step once, the epoch
    /// scalars equal metrics.jsonl, the image is the sheet's PNG and the configuration is there.
    @Test(.enabled(if: PythonTools.has("tensorboard"), Comment(rawValue: PythonTools.missing("tensorboard"))))
    func tensorBoardReadsEveryFigureOnceAfterResumes() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 160, test: 32)
        let configuration = TrainerTests.configuration(data: data, head: .mpw, epochs: 2)
        var trainer = try TrainerTests.newRun(configuration, in: root.file("run"))
        try trainer.enableTensorBoard(logEvery: 2)
        let directory = trainer.directory
        try Self.train(trainer, stoppingAfter: 3)
        let older = root.file("after-step-3.safetensors")
        try FileManager.default.copyItem(at: directory.lastCheckpoint, to: older)
        trainer = try Self.resume(directory)
        try Self.train(trainer, stoppingAfter: 4)
        // Steps 4 to 7 and epoch 1 are on file; going back to step 3 must drop them.
        try FileManager.default.removeItem(at: directory.lastCheckpoint)
        try FileManager.default.copyItem(at: older, to: directory.lastCheckpoint)
        trainer = try Self.resume(directory)
        try Self.train(trainer, stoppingAfter: nil)

        let eventFiles = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(EventFile.prefix) }
        #expect(eventFiles.count == 1)
        let events = try Self.read(directory.url)
        #expect(events.scalars["train/loss"]?.map { Int($0[0]) } == [2, 4, 5, 7, 9, 10])
        #expect(events.scalars["train/accuracy"]?.map { Int($0[0]) } == [2, 4, 5, 7, 9, 10])
        let records = try directory.readMetrics()
        #expect(records.count == 2)
        for record in records {
            for (key, value) in TensorBoardLog.figures(of: record) {
                let series = events.scalars["epoch/\(key)"] ?? []
                #expect(series.filter { Int($0[0]) == record.epoch * 5 }.map { Float($0[1]) } == [Float(value)], "epoch/\(key) of epoch \(record.epoch)")
            }
        }
        #expect(Set(records.flatMap { TensorBoardLog.figures(of: $0).map(\.key) }).isSuperset(of: ["train_loss", "test_top1", "test_top5",
                                                                                                   "learning_rate", "mean_sinkhorn_iterations"]))
        for (tag, series) in events.scalars {
            let steps = series.map { Int($0[0]) }
            #expect(steps == Array(Set(steps)).sorted(), "\(tag) has repeated or unordered steps \(steps)")
        }
        // The last epoch's sheet is that of the final weights.
        let images = try #require(events.images["matching_flow"])
        #expect(images.count == 2)
        guard case .text(let encoded) = images.last?[1], let png = Data(base64Encoded: encoded) else {
            Issue.record("no image bytes")
            return
        }
        let setup = trainer.setup
        let (channels, height, width) = try setup.testTransform.outputShape(for: setup.test)
        let input = try TrainedModel.batch(setup.test.prefix(TensorBoardLog.sheetImages), transform: setup.testTransform,
                                           inputShape: (channels, height, width))
        trainer.model.eval()
        let sheet = FlowSheet.render(trainer.model, input: input.images, pixels: input.pixels, labels: input.pixels.indices.map { "#\($0)" },
                                     classNames: setup.train.classNames,
                                     title: "\(configuration.model) + \(configuration.head.kind): matching flow per proxy")
        #expect([UInt8](png) == (try PNGCodec.encode(sheet.pixels, width: sheet.width, height: sheet.height, channels: sheet.channels)))
        #expect(events.text_plugin == ["config"])
        guard case .strings(let texts) = events.texts["config"]?.first?[1] else {
            Issue.record("no configuration text")
            return
        }
        #expect(texts.count == 1 && texts[0].contains(configuration.json()))
    }

    /// `--no-tensorboard` (no `enableTensorBoard`) leaves no event file.
    /// The sheet's labels and the words on it are drawn glyph for glyph, none as '?'.
    @Test func flowSheetLabelsHaveGlyphs() {
        #expect(BitmapFont.canDraw(TensorBoardLog.sheetLabel(0)) && BitmapFont.canDraw(TensorBoardLog.sheetLabel(3)))
        #expect(BitmapFont.canDraw("IMAGE P0 P3 ARGMAX") && !BitmapFont.canDraw("~"))
    }

    @Test func withoutTensorBoardThereIsNoEventFile() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 64, test: 32)
        let trainer = try TrainerTests.newRun(TrainerTests.configuration(data: data, epochs: 1), in: root.file("run"))
        try trainer.train()
        #expect(try FileManager.default.contentsOfDirectory(atPath: trainer.directory.url.path).allSatisfy { !$0.hasPrefix(EventFile.prefix) })
    }
}
