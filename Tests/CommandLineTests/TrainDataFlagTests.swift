import Datasets
import Foundation
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw

/// `mpw train`'s data flags reach the readers: `--skip-bad` leaves a folder's unreadable files out
/// (and a run without it fails naming them), `--cifar100-labels` is stored with the run.
@Suite struct TrainDataFlagTests {
    /// train/ and val/ folders of two classes, 3 and 2 grey PNGs each, and one file that is not an image.
    static func folder() throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        var generator = RandomGenerator(seed: 3)
        for (split, count) in [("train", 3), ("val", 2)] {
            for label in ["boot", "shirt"] {
                let directory = root.file("\(split)/\(label)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for index in 0..<count {
                    let pixels = (0..<(28 * 28)).map { _ in UInt8(generator.nextInt(below: 256)) }
                    try Data(try PNGCodec.encode(pixels, width: 28, height: 28, channels: 1)).write(to: directory.appendingPathComponent("\(index).png"))
                }
            }
        }
        try Data("not a picture".utf8).write(to: root.file("train/boot/notes.jpg"))
        return root
    }

    @Test func skipBadLeavesTheUnreadableFileOut() throws {
        let root = try Self.folder()
        let strict = try TrainCommand.parse(["--dataset", "folder", "--data", root.url.path]).resolvedConfiguration()
        do {
            _ = try RunSetup(strict)
            Issue.record("a folder with an unreadable file was accepted without --skip-bad")
        } catch {
            #expect("\(error)".contains("notes.jpg") && "\(error)".contains("--skip-bad leaves them out"))
        }
        let skipping = try TrainCommand.parse(["--dataset", "folder", "--data", root.url.path, "--skip-bad"]).resolvedConfiguration()
        #expect(skipping.skipBadImages == true)
        let setup = try RunSetup(skipping)
        #expect(setup.train.count == 6 && setup.test.count == 4)
        #expect(setup.skippedFiles == [root.file("train/boot/notes.jpg").path])
        // Stored with the run, so --resume and mpw eval read the folder the same way.
        let stored = try TrainingConfiguration.decode(skipping.json(), source: "config.json")
        #expect(stored.datasetOptions.skipBadImages)
    }

    @Test func cifar100LabelsAreStoredWithTheRun() throws {
        let coarse = try TrainCommand.parse(["--dataset", "cifar100", "--data", "/d", "--cifar100-labels", "coarse"]).resolvedConfiguration()
        #expect(coarse.cifar100Labels == "coarse" && coarse.datasetOptions.cifar100Labels == .coarse)
        #expect(try TrainCommand.parse(["--dataset", "cifar100", "--data", "/d"]).resolvedConfiguration().datasetOptions.cifar100Labels == .fine)
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--cifar100-labels", "coarse"]) }
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--skip-bad"]) }
    }
}
