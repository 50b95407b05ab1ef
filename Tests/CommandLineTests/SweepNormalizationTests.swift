import Datasets
import Foundation
import Testing
import TestSupport
import Training
@testable import mpw

/// `mpw sweep --dataset mnist-idx` over an IDX folder that is not MNIST: each run measures its
/// training split's statistics when it starts, as `mpw train` does, and stores them with the run;
/// an interrupted run resumes though the plan's configuration has not measured them.
@Suite(.serialized) struct SweepNormalizationTests {
    /// train-/t10k- IDX files of 28x28 images; training image k is all black (k even) or all
    /// 204/255 = 0.8 (k odd): mean 0.4, standard deviation 0.4, far from MNIST's 0.1307 and 0.3081.
    static func idxFolder(trainImages: Int) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        func idx(_ dimensions: [Int], _ data: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
            for size in dimensions { bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] }
            return Data(bytes + data)
        }
        for (prefix, count) in [("train", trainImages), ("t10k", 8)] {
            let pixels = (0..<count).flatMap { [UInt8](repeating: $0 % 2 == 0 ? 0 : 204, count: 28 * 28) }
            try idx([count, 28, 28], pixels).write(to: root.file("\(prefix)-images-idx3-ubyte"))
            try idx([count], (0..<count).map { UInt8($0 % 10) }).write(to: root.file("\(prefix)-labels-idx1-ubyte"))
        }
        return root
    }

    @Test func everyRunNormalisesWithTheTrainingSplitsOwnStatistics() throws {
        let data = try Self.idxFolder(trainImages: 64)
        let out = try TemporaryDirectory()
        let plan = try SweepPlan(presets: ["table4-resnet20-gapfc", "table4-resnet20-mpw"], seeds: [0],
                                 trainingArguments: ["--dataset", "mnist-idx", "--data", data.url.path, "--epochs", "1", "--batch", "32",
                                                     "--threads", "2", "--workers", "1"],
                                 out: out.url.path)
        #expect(plan.runs.allSatisfy { $0.configuration.measuredNormalization == nil })
        InterruptSignal.clear()
        defer { InterruptSignal.clear() }
        var steps = 0
        do {
            _ = try plan.execute(observer: { event in
                if case .step = event {
                    steps += 1
                    if steps == 1 { InterruptSignal.request() }
                }
            })
            Issue.record("the sweep was not interrupted")
        } catch TrainingStop.interrupted(let epoch, let batch, _) {
            #expect(epoch == 0 && batch == 1)
        }
        InterruptSignal.clear()
        var resumed: [Int] = []
        let failures = try plan.execute(observer: { _ in }, starting: { index, _, trainer in
            if trainer.state.batch > 0 { resumed.append(index) }
        })
        #expect(failures.isEmpty && resumed == [0])
        for run in plan.runs {
            let text = try String(contentsOf: run.directory.configurationFile, encoding: .utf8)
            let stored = try #require(try TrainingConfiguration.decode(text, source: "config.json").measuredNormalization, "\(run.preset)")
            #expect(stored.mean.count == 1 && abs(stored.mean[0] - 0.4) < 1e-6, "\(run.preset): \(stored.mean)")
            #expect(stored.standardDeviation.count == 1 && abs(stored.standardDeviation[0] - 0.4) < 1e-6, "\(run.preset): \(stored.standardDeviation)")
            let checkpoint = try Checkpoint.read(run.directory.lastCheckpoint)
            #expect(checkpoint.configuration.measuredNormalization == stored)
            #expect(try checkpoint.configuration.evaluationTransform(for: .mnistIDX, channels: 1).normalization == stored.normalization)
        }
    }
}
