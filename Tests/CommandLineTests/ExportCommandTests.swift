import Foundation
import Models
import MultiProxy
import OptimalTransport
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw

/// `mpw export`: the file it writes, and one line for each input it cannot export.
@Suite(.serialized) struct ExportCommandTests {
    static func checkpoint(head: HeadConfiguration, in root: TemporaryDirectory) throws -> String {
        let settings = HeadSettings(head)
        let configuration = TrainingConfiguration(
            dataset: "fashion-mnist", dataDirectory: nil, limitTrain: nil, limitTest: nil, greyscaleAdaptation: "pad-to-32", cutMix: false,
            workers: 0, model: "resnet20", head: settings, epochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.9, weightDecay: 0,
            nesterov: false, decayNormalizationAndBias: true, labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine, warmupEpochs: 0),
            seed: 1, threads: 2)
        var generator = RandomGenerator(seed: 4)
        let model = try ModelZoo.classifier("resnet20", head: head, classes: 10, inputChannels: 1, generator: &generator)
        let path = root.file("last.safetensors")
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start)
        return path.path
    }

    /// The error `mpw export arguments` stops with, as the one line the user sees.
    static func failure(_ arguments: [String]) -> String? {
        do {
            let command = try ExportCommand.parse(arguments)
            try command.run()
            return nil
        } catch {
            return ExportCommand.message(for: error)
        }
    }

    @Test func writesTheModelNextToTheCheckpointByDefault() throws {
        let root = try TemporaryDirectory()
        let path = try Self.checkpoint(head: HeadConfiguration(kind: .mpw), in: root)
        #expect(Self.failure([path]) == nil)
        let bytes = try Data(contentsOf: root.file("last.onnx"))
        #expect(bytes.count > 1000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.url.path).allSatisfy { !$0.contains(".tmp") })
    }

    @Test func badInputsFailWithOneLine() throws {
        let root = try TemporaryDirectory()
        let notCheckpoint = root.file("notes.safetensors")
        try Data("not a checkpoint".utf8).write(to: notCheckpoint)
        var unbalanced = WassersteinMatching()
        unbalanced.transport = try TransportSpecification("unbalanced:0.5")
        let unbalancedPath = try Self.checkpoint(head: HeadConfiguration(kind: .mpw, wasserstein: unbalanced), in: root)
        let cases: [([String], String)] = [
            ([notCheckpoint.path, "--out", root.file("a.onnx").path], notCheckpoint.path),
            ([unbalancedPath, "--out", root.file("b.onnx").path], "unbalanced transport"),
            ([unbalancedPath.replacingOccurrences(of: "last", with: "missing")], "missing.safetensors"),
        ]
        for (arguments, words) in cases {
            let message = try #require(Self.failure(arguments), "\(arguments) did not fail")
            #expect(message.contains(words) && !message.contains("\n"), "\(message)")
        }
        let good = try Self.checkpoint(head: HeadConfiguration(kind: .gapfc), in: root)
        let message = try #require(Self.failure([good, "--out", root.file("no/such/dir/model.onnx").path]))
        #expect(message.contains("no/such/dir/model.onnx") && !message.contains("\n"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: root.file("a.onnx").path))
    }
}
