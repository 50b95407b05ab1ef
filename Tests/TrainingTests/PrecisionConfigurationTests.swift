import Foundation
import Kernels
import Testing
import TestSupport
@testable import Training

/// The run configuration's optional precision: stored and read back, absent in old files, and
/// refused with a one-line error on a CPU without native bf16.
@Suite struct PrecisionConfigurationTests {
    @Test func precisionIsStoredAndOptional() throws {
        var configuration = TrainerTests.configuration(data: URL(fileURLWithPath: "/nonexistent"))
        #expect(configuration.precision == nil)
        #expect(!configuration.json().contains("precision"), "a run without the flag writes the file it always wrote")
        #expect(try TrainingConfiguration.decode(configuration.json(), source: "config.json") == configuration)
        configuration.precision = .bf16
        let decoded = try TrainingConfiguration.decode(configuration.json(), source: "config.json")
        #expect(decoded.precision == .bf16 && decoded == configuration)
    }

    @Test func bf16RunsNeedNativeSupport() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 64, test: 32)
        var configuration = TrainerTests.configuration(data: data, epochs: 1)
        configuration.precision = .bf16
        if CPUFeatures.nativeBFloat16 {
            #expect(try RunSetup(configuration).makeModel().precision == .bf16)
        } else {
            do {
                _ = try RunSetup(configuration)
                Issue.record("a bf16 run was accepted on a CPU without native bf16")
            } catch {
                let message = "\(error)"
                #expect(message.hasPrefix("--precision bf16 needs a CPU with AVX512_BF16") && !message.contains("\n"), "\(message)")
            }
        }
    }
}
