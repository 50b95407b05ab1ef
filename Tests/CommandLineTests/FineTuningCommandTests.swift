import ArgumentParser
import Foundation
import Tensors
import Testing
import TestSupport
@testable import mpw

/// `mpw train`'s fine-tuning flags and `mpw convert`.
@Suite struct FineTuningCommandTests {
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
