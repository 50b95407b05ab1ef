import ArgumentParser
import Foundation
import Tensors
import Testing
import TestSupport
@testable import mpw

/// `mpw train`'s fine-tuning flags and `mpw convert`.
@Suite struct FineTuningCommandTests {
    static let badFlags: [[String]] = [
        ["--freeze-backbone"], ["--backbone-lr-scale", "0.1"], ["--proxy-noise", "0.1"],
        ["--init", "a.pth", "--backbone-lr-scale", "0"], ["--init", "a.pth", "--backbone-lr-scale", "inf"],
        ["--init", "a.pth", "--freeze-backbone", "--backbone-lr-scale", "0.5"], ["--init", "a.pth", "--proxy-noise", "-1"],
        ["--resume", "runs/x", "--init", "a.pth"],
    ]

    @Test(arguments: badFlags)
    func trainRejects(_ arguments: [String]) {
        do {
            _ = try TrainCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(!message.isEmpty && !message.contains("\n"), "\(arguments): \(message)")
        }
    }

    @Test func theSettingsGoIntoTheConfiguration() throws {
        let configuration = try TrainCommand.parse(["--init", "w.pth", "--backbone-lr-scale", "0.1", "--proxy-noise", "0"]).resolvedConfiguration()
        #expect(configuration.fineTuning?.initPath == "w.pth" && configuration.fineTuning?.backboneLearningRateScale == 0.1)
        #expect(configuration.fineTuning?.proxyNoise == 0 && configuration.fineTuning?.freezeBackbone == false)
        #expect(try TrainCommand.parse([]).resolvedConfiguration().fineTuning == nil)
    }

    @Test func convertWritesWhatTheReaderRead() throws {
        let directory = try TemporaryDirectory()
        let output = directory.file("dtypes.safetensors").path
        try ConvertCommand.parse([Oracles.directory.appendingPathComponent("pth/dtypes.pth").path, "--out", output]).run()
        let written = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: output))
        let expected = try Oracles.file("pth/dtypes.expected.safetensors")
        #expect(Set(written.entries.keys) == Set(expected.entries.keys))
        for name in expected.entries.keys {
            #expect(written.entries[name]?.dtype == expected.entries[name]?.dtype && written.entries[name]?.shape == expected.entries[name]?.shape)
            #expect(try written.doubles(name) == expected.doubles(name), "\(name)")
        }
        #expect(throws: (any Error).self) { try ConvertCommand.parse([output, "--out", output]) }
        #expect(throws: (any Error).self) { try ConvertCommand.parse([output, "--out", directory.file("x.safetensors").path]).run() }
    }
}
