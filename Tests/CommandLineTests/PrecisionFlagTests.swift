import ArgumentParser
import Kernels
import Testing
@testable import mpw

/// `--precision` on every command that runs a network.
@Suite struct PrecisionFlagTests {
    @Test func unknownPrecisionsAreRejectedInOneLine() {
        let parsers: [(String, ([String]) throws -> Void)] = [
            ("train", { _ = try TrainCommand.parse($0) }), ("eval", { _ = try EvalCommand.parse(["--checkpoint", "c"] + $0) }),
            ("bench train", { _ = try TrainBench.parse($0) }), ("demo", { _ = try DemoCommand.parse($0) }),
        ]
        for (name, parse) in parsers {
            do {
                try parse(["--precision", "fp16"])
                Issue.record("\(name) accepted --precision fp16")
            } catch {
                let message = TrainCommand.message(for: error)
                #expect(message.contains("--precision") && message.contains("fp32, bf16") && !message.contains("\n"), "\(name): \(message)")
            }
        }
    }

    @Test func trainStoresThePrecision() throws {
        #expect(try TrainCommand.parse([]).resolvedConfiguration().precision == nil)
        #expect(try TrainCommand.parse(["--precision", "fp32"]).resolvedConfiguration().precision == .fp32)
        let bf16 = try TrainCommand.parse(["--precision", "bf16"])
        if CPUFeatures.nativeBFloat16 {
            #expect(try bf16.resolvedConfiguration().precision == .bf16)
        } else {
            #expect(throws: PrecisionUnsupported.self) { try bf16.resolvedConfiguration() }
        }
    }
}
