import Foundation
import Tensors
import Testing
import TestSupport
@testable import Training

/// Faults under mpirun: a killed rank, a hung rank, a stop request, a second process on the
/// same run directory.
@Suite(.serialized, .enabled(if: MPIJob.mpirun != nil, "Open MPI's mpirun is not on the PATH: install openmpi-bin (scripts/bootstrap does)"))
struct FaultTests {
    /// A long run on 2 ranks; `act` gets mpirun's process once the first checkpoint exists.
    static func longRun(in root: TemporaryDirectory, extra: [String] = [], act: @escaping (Process, Int32) -> Void) throws -> MPIJob.Outcome {
        let arguments = MPIJob.trainArguments(head: "gapfc", out: root.file("run"), epochs: 200, extra: ["--limit-train", "32"] + extra)
        return try MPIJob.run(arguments, ranks: 2, timeout: 150) { mpirun in
            guard MPIJob.waitFor(root.file("run/last.safetensors"), seconds: 90) else { return }
            Thread.sleep(forTimeInterval: 0.3)
            guard let rank = MPIJob.rankProcess(1, under: mpirun.processIdentifier) else {
                Issue.record("rank 1 of mpirun \(mpirun.processIdentifier) not found")
                return
            }
            act(mpirun, rank)
        }
    }

    static func checkpointIsIntact(_ root: TemporaryDirectory) throws {
        let checkpoint = try Checkpoint.read(root.file("run/last.safetensors"))
        #expect(checkpoint.state.epoch >= 1 && checkpoint.configuration.worldSize == 2)
        _ = try SafeTensorsFile(contentsOf: root.file("run/last.safetensors")).floats("model.conv.weight")
    }

    @Test func aKilledRankEndsTheJobWithTheCheckpointIntact() throws {
        let root = try TemporaryDirectory()
        var killedAt = Date()
        let outcome = try Self.longRun(in: root) { _, rank in
            killedAt = Date()
            kill(rank, SIGKILL)
        }
        #expect(outcome.status != 0)
        #expect(Date().timeIntervalSince(killedAt) < 60, "the job outlived its rank by \(Date().timeIntervalSince(killedAt)) s")
        #expect(outcome.output.contains("rank 1"), "\(outcome.output.suffix(2000))")
        try Self.checkpointIsIntact(root)
    }

    /// A stopped (hung) rank is not noticed by mpirun: the others' watchdog ends the job.
    @Test func aHungRankEndsTheJobAfterTheCollectiveTimeout() throws {
        let root = try TemporaryDirectory()
        var stoppedAt = Date()
        let outcome = try Self.longRun(in: root, extra: ["--collective-timeout", "3"]) { _, rank in
            stoppedAt = Date()
            kill(rank, SIGSTOP)
        }
        let waited = Date().timeIntervalSince(stoppedAt)
        #expect(outcome.status != 0)
        #expect(waited >= 3 && waited < 30, "ended \(waited) s after the rank stopped")
        #expect(outcome.output.contains("mpw: rank 0: ") && outcome.output.contains("waited more than 3 s for the other ranks"),
                "\(outcome.output.suffix(2000))")
        try Self.checkpointIsIntact(root)
    }

    /// SIGUSR1 to mpirun (forwarded to every rank): the ranks agree to stop after the same step,
    /// rank 0 saves once, every rank exits.
    @Test func aStopRequestSavesOnceAndEndsEveryRank() throws {
        let root = try TemporaryDirectory()
        let outcome = try Self.longRun(in: root) { mpirun, _ in
            Thread.sleep(forTimeInterval: 1)
            kill(mpirun.processIdentifier, SIGUSR1)
        }
        #expect(outcome.output.components(separatedBy: "state saved. Resume with").count == 2, "\(outcome.output.suffix(2000))")
        let checkpoint = try Checkpoint.read(root.file("run/last.safetensors"))
        #expect(checkpoint.state.epoch >= 1)
        #expect(checkpoint.state.partial.samples == checkpoint.state.batch * 16)
    }

    /// SIGTERM (or Ctrl-C) to mpirun leaves the ranks two seconds before SIGKILL, less than one of
    /// these steps (512 images on a thread per rank): rank 0 saves the last finished step at
    /// mpirun's first notice and ends the job, and the run resumes from it.
    @Test func terminatingMpirunSavesTheLastFinishedStep() throws {
        let root = try TemporaryDirectory()
        var signalledAt = Date()
        let outcome = try Self.longRun(in: root, extra: ["--limit-train", "1024", "--batch", "512"]) { mpirun, _ in
            Thread.sleep(forTimeInterval: 1)
            signalledAt = Date()
            kill(mpirun.processIdentifier, SIGTERM)
        }
        let waited = Date().timeIntervalSince(signalledAt)
        #expect(waited < 10, "the job outlived the signal by \(waited) s")
        #expect(outcome.output.components(separatedBy: "state saved. Resume with").count == 2, "\(outcome.output.suffix(2000))")
        let file = root.file("run/last.safetensors")
        let checkpoint = try Checkpoint.read(file)
        #expect(checkpoint.state.epoch >= 1)
        #expect(checkpoint.state.partial.samples == checkpoint.state.batch * 512)
        // The BatchNorm counters are those of the finished steps, not of a forward pass in flight.
        let steps = checkpoint.state.epoch * 2 + checkpoint.state.batch
        #expect(try SafeTensorsFile(contentsOf: file).integers("model.bn.num_batches_tracked") == [Int64(steps)])
        let resumed = try MPIJob.run(["train", "--resume", root.file("run").path, "--stop-after", "1"], ranks: nil)
        #expect(resumed.output.contains("resuming"), "\(resumed.output.suffix(2000))")
        let after = try Checkpoint.read(file)
        #expect(after.state.epoch * 2 + after.state.batch == steps + 1, "\(resumed.output.suffix(2000))")
    }
}

/// The run-directory lock and the removal of temporary files left by a killed write.
@Suite struct RunDirectoryLockTests {
    @Test func aSecondProcessIsRefusedTheRunDirectory() throws {
        let root = try TemporaryDirectory()
        let directory = RunDirectory(root.url.path)
        var lock: RunLock? = try RunLock(directory)
        #expect(lock != nil)
        #expect(throws: ConfigurationError.self) { try RunLock(directory) }
        do {
            _ = try RunLock(directory)
        } catch {
            #expect("\(error)".contains("another mpw process is training in it"))
        }
        lock = nil
        _ = try RunLock(directory)  // free again once the first is gone
    }

    @Test func leftoversOfKilledWritesAreRemoved() throws {
        let root = try TemporaryDirectory()
        let names = [".last.safetensors.tmp-4242", ".best.safetensors.tmp-17", ".metrics.jsonl.tmp-9", "last.safetensors",
                     ".tmp-12", "notes.tmp-3", ".keep"]
        for name in names { _ = FileManager.default.createFile(atPath: root.file(name).path, contents: Data([1])) }
        RunDirectory(root.url.path).removeLeftoverTemporaryFiles()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.url.path).sorted() == [".keep", ".tmp-12", "last.safetensors", "notes.tmp-3"])
    }
}
