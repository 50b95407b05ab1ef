import Datasets
import Foundation
import Models
import MultiProxy
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw

/// Ctrl-C during `mpw explain --prototypes` over the real Fashion-MNIST training split (60,000
/// images, many seconds): the scan stops, the sheets and prototypes.json are written from the
/// images scanned so far, standard error says how many and that the result is partial, and the
/// status is 130 as for an interrupted `mpw train`.
@Suite(.serialized) struct PrototypeInterruptTests {
    static let hasEverything = BuiltProducts.mpw != nil && FileManager.default.fileExists(atPath: MNISTStyle.fashionMNISTDirectory)

    /// An untrained Fashion-MNIST checkpoint with the MPW head.
    static func checkpoint(in root: TemporaryDirectory) throws -> String {
        let head = HeadSettings(HeadConfiguration(kind: .mpw, wasserstein: WassersteinMatching()))
        let configuration = TrainingConfiguration(
            dataset: "fashion-mnist", dataDirectory: nil, limitTrain: nil, limitTest: nil, greyscaleAdaptation: "pad-to-32", cutMix: false,
            workers: 0, model: "resnet20", head: head, epochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.9, weightDecay: 0,
            nesterov: false, decayNormalizationAndBias: true, labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine, warmupEpochs: 0),
            seed: 1, threads: 2)
        var generator = RandomGenerator(seed: 4)
        let model = try ModelZoo.classifier("resnet20", head: try head.configuration(), classes: 10, inputChannels: 1, generator: &generator)
        let path = root.file("model.safetensors")
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start,
                             classNames: MNISTStyle.fashionMNISTClassNames)
        return path.path
    }

    @Test(.enabled(if: hasEverything, "needs the built mpw and Fashion-MNIST"))
    func ctrlCWritesThePrototypesOfTheImagesScanned() throws {
        let root = try TemporaryDirectory()
        let checkpoint = try Self.checkpoint(in: root)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MPWProcess.mpw)
        process.arguments = ["explain", "--checkpoint", checkpoint, "--prototypes", "--top", "3", "--out", root.file("prototypes").path]
        process.currentDirectoryURL = root.url
        try Data().write(to: root.file("stderr"))
        try Data().write(to: root.file("stdout"))
        process.standardError = try FileHandle(forWritingTo: root.file("stderr"))
        process.standardOutput = try FileHandle(forWritingTo: root.file("stdout"))
        process.standardInput = FileHandle.nullDevice
        // The test runner's threads block SIGINT and a spawned process inherits the mask; a shell's does not.
        var signals = sigset_t(), previous = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        func errors() -> String { String(decoding: (try? Data(contentsOf: root.file("stderr"))) ?? Data(), as: UTF8.self) }
        // Progress shows once the scan has run two seconds; interrupt then, as a user would.
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && !errors().contains("searching fashion-mnist train images: ") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(process.isRunning, "the scan ended before it could be interrupted: \(errors())")
        process.interrupt()
        process.waitUntilExit()
        let output = String(decoding: try Data(contentsOf: root.file("stdout")), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(process.terminationStatus): \(errors())")

        let line = try #require(errors().split(separator: "\n").last.map(String.init))
        let prefix = "mpw: interrupted after scanning "
        #expect(line.hasPrefix(prefix) && line.hasSuffix(" images of 60000; the sheets and prototypes.json in \(root.file("prototypes").path)/ are a partial result, from those images only"), "\(line)")
        let scanned = try #require(Int(line.dropFirst(prefix.count).prefix { $0.isNumber }))
        #expect(scanned > 0 && scanned < 60000)
        #expect(output.contains("searched \(scanned) of 60000 fashion-mnist train images; wrote 10 sheets and prototypes.json"), "\(output)")

        // Every match comes from the images scanned, and each class found there fills its sheet.
        let json = try Data(contentsOf: root.file("prototypes/prototypes.json"))
        let entries = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
        let samples = entries.compactMap { $0["sample"] as? Int }
        #expect(samples.count == entries.count && !samples.isEmpty)
        #expect(samples.allSatisfy { (0..<scanned).contains($0) }, "a match outside the images scanned")
        #expect(Set(entries.compactMap { $0["class_index"] as? Int }) == Set(0..<10))
        for (index, name) in MNISTStyle.fashionMNISTClassNames.enumerated() {
            let file = root.file("prototypes/prototypes-\(index)-\(ImageFiles.safeName(name)).png")
            let image = try PNGCodec.decode(Array(try Data(contentsOf: file)), path: file.path)
            #expect(image.width > 0 && image.height > 0 && image.channels == 3)
        }
    }
}
