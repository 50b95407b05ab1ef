import Foundation
import Tensors
import Testing
import TestSupport
@testable import Training

/// `mpw train` under mpirun on 2 and 3 ranks against one process, on a Fashion-MNIST subset
/// (48 training images, global batch 16: 3 steps an epoch; 3 ranks split each batch 6 + 5 + 5).
@Suite(.serialized, .enabled(if: MPIJob.mpirun != nil, "Open MPI's mpirun is not on the PATH: install openmpi-bin (scripts/bootstrap does)"))
struct DataParallelTrainingTests {
    @discardableResult
    static func train(_ head: String, _ out: URL, ranks: Int?, epochs: Int = 2, _ extra: [String] = []) throws -> MPIJob.Outcome {
        let outcome = try MPIJob.run(MPIJob.trainArguments(head: head, out: out, epochs: epochs, extra: extra), ranks: ranks)
        #expect(outcome.status == 0 || (extra.contains("--stop-after") && outcome.status != 0 && outcome.output.contains("state saved")),
                "mpw exited with \(outcome.status):\n\(outcome.output.suffix(3000))")
        return outcome
    }

    /// One step: 2 ranks x 1 thread sum the same partial results as 1 process x 2 threads (whose
    /// reductions also split the batch in halves), so weights and gradients agree to rounding.
    @Test(arguments: ["gapfc", "mpw"])
    func oneStepOnTwoRanksEqualsOneProcess(head: String) throws {
        let root = try TemporaryDirectory()
        try Self.train(head, root.file("one"), ranks: nil, ["--stop-after", "1", "--threads", "2"])
        try Self.train(head, root.file("two"), ranks: 2, ["--stop-after", "1"])
        let one = root.file("one/last.safetensors"), two = root.file("two/last.safetensors")
        #expect(try relativeDifference(two, one, prefix: "model.") < 1e-6)
        #expect(try relativeDifference(two, one, prefix: "optimizer.") < 1e-4)  // the momentum buffers: the first gradient
        let configuration = try Checkpoint.read(two).configuration
        #expect(configuration.worldSize == 2 && configuration.batchNorm == "sync" && configuration.threads == 1)
    }

    /// Two epochs on 3 ranks, and 2 ranks stopped after 4 steps then resumed on 1 and on 3 ranks,
    /// all end where one uninterrupted process does, to summation-order noise: 1.2e-5 measured
    /// after these 6 steps (the batch split reorders the gradient sums; rounding grows each step).
    @Test func threeRanksAndResumesAtOtherWorldSizesMatchOneProcess() throws {
        let root = try TemporaryDirectory()
        try Self.train("mpw", root.file("one"), ranks: nil)
        try Self.train("mpw", root.file("three"), ranks: 3)
        let reference = root.file("one/last.safetensors")
        #expect(try relativeDifference(root.file("three/last.safetensors"), reference, prefix: "model.") < 1e-4)

        try Self.train("mpw", root.file("stopped"), ranks: 2, ["--stop-after", "4"])
        let stopped = try Checkpoint.read(root.file("stopped/last.safetensors"))
        #expect(stopped.state.epoch == 1 && stopped.state.batch == 1 && stopped.state.partial.samples == 16)
        try FileManager.default.copyItem(at: root.file("stopped"), to: root.file("stopped-copy"))
        for (directory, ranks) in [("stopped", nil), ("stopped-copy", 3)] as [(String, Int?)] {
            let outcome = try MPIJob.run(["train", "--resume", root.file(directory).path, "--log-every", "1"], ranks: ranks)
            #expect(outcome.status == 0, "resume on \(ranks ?? 1) ranks: \(outcome.output.suffix(3000))")
            #expect(try relativeDifference(root.file("\(directory)/last.safetensors"), reference, prefix: "model.") < 1e-4)
            let resumed = try Checkpoint.read(root.file("\(directory)/last.safetensors"))
            #expect(resumed.state.epoch == 2 && resumed.configuration.worldSize == ranks ?? 1)
            let metrics = try RunDirectory(root.file(directory).path).readMetrics()
            let straight = try RunDirectory(root.file("one").path).readMetrics()
            #expect(metrics.count == 2 && abs(metrics[1].trainLoss - straight[1].trainLoss) < 1e-3)
        }
        // Only rank 0 wrote: one record per epoch, one summary, no stray temporary files.
        let names = try FileManager.default.contentsOfDirectory(atPath: root.file("three").path).sorted()
        #expect(names == ["best.safetensors", "config.json", "last.safetensors", "metrics.jsonl", "summary.json"])
    }

    /// Per-rank BatchNorm statistics: trains, stays finite, saves rank 0's running statistics.
    @Test func localBatchNormTrainsAndStaysFinite() throws {
        let root = try TemporaryDirectory()
        let outcome = try Self.train("gapfc", root.file("local"), ranks: 2, epochs: 3, ["--batchnorm", "local"])
        let records = try RunDirectory(root.file("local").path).readMetrics()
        #expect(records.count == 3 && records.allSatisfy { $0.trainLoss.isFinite && $0.testLoss.isFinite })
        #expect(records[2].trainLoss < records[0].trainLoss, "\(records.map(\.trainLoss))")
        let file = try SafeTensorsFile(contentsOf: root.file("local/last.safetensors"))
        for name in file.entries.keys where !name.hasSuffix("num_batches_tracked") {
            #expect(try file.floats(name).allSatisfy(\.isFinite), "\(name)")
        }
        #expect(outcome.output.contains("BatchNorm local"))
    }
}
