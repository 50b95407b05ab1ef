import ArgumentParser
import Foundation
import Kernels
import Training

/// The (preset, seed) runs of a sweep, each an ordinary run directory `OUT/<preset>/seed-<s>`,
/// and how to carry them out one after another: finished runs (summary.json present) are
/// skipped, an interrupted one resumes exactly from its checkpoint, the others start (an
/// `mnist-idx` run measuring its training split's normalisation first, as `mpw train` does).
struct SweepPlan {
    struct Run {
        let preset: String
        let seed: UInt64
        let directory: RunDirectory
        let configuration: TrainingConfiguration
        let logEvery: Int
    }

    enum Status {
        case finished
        case partial(Checkpoint.Contents)
        case pending
    }

    let runs: [Run]

    /// The runs of `presets` x `seeds` with `trainingArguments` (train flags) applied to each, the
    /// `shard`-th (1-based) of `shards` share of them.
    init(presets: [String], seeds: [UInt64], trainingArguments: [String], out: String, shard: Int = 1, shards: Int = 1) throws {
        var all: [Run] = []
        for preset in presets {
            for seed in seeds {
                let path = URL(fileURLWithPath: out).appendingPathComponent(preset).appendingPathComponent("seed-\(seed)").path
                let command = try TrainCommand.parseWithPreset(["--preset", preset] + trainingArguments + ["--seed", String(seed), "--out", path])
                all.append(Run(preset: preset, seed: seed, directory: RunDirectory(path), configuration: try command.resolvedConfiguration(),
                               logEvery: command.runOptions.logEvery))
            }
        }
        runs = all.enumerated().filter { $0.offset % shards == shard - 1 }.map(\.element)
    }

    func status(of run: Run) throws -> Status {
        let files = FileManager.default
        if files.fileExists(atPath: run.directory.summaryFile.path) { return .finished }
        if files.fileExists(atPath: run.directory.lastCheckpoint.path) { return .partial(try Checkpoint.read(run.directory.lastCheckpoint)) }
        return .pending
    }

    /// Carries out every run not yet finished. An interruption stops the sweep (rethrown, after
    /// the run saved its state); a run whose loss stops being finite is left and named in the
    /// returned failures, and the sweep goes on.
    func execute(observer: (TrainingEvent) -> Void, starting: (Int, Run, Trainer) -> Void = { _, _, _ in },
                 finished: (Run, Trainer, TrainingSummary) -> Void = { _, _, _ in },
                 skipped: (Int, Run) -> Void = { _, _ in }) throws -> [String] {
        var failures: [String] = []
        for (index, run) in runs.enumerated() {
            let trainer: Trainer
            switch try status(of: run) {
            case .finished:
                skipped(index, run)
                continue
            case .partial(let checkpoint):
                // The measured normalisation is stored when a run starts; the plan's runs have not measured yet.
                let differences = ConfigurationDifference.fields(run.configuration, checkpoint.configuration, ignoring: ["measuredNormalization"])
                guard differences.isEmpty else {
                    throw ValidationError("\(run.directory.url.path) was started with other settings (now, then: \(differences.joined(separator: ", "))); re-run the sweep with its first flags or remove that run")
                }
                Threads.set(checkpoint.configuration.threads)
                trainer = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: run.directory, resumingFrom: checkpoint)
            case .pending:
                var configuration = run.configuration
                try NormalizationMeasurement.apply(to: &configuration, announce: true)
                Threads.set(configuration.threads)
                let setup = try RunSetup(configuration)
                try run.directory.createForNewRun()
                try run.directory.writeConfiguration(configuration)
                trainer = try Trainer(setup: setup, directory: run.directory)
            }
            starting(index, run, trainer)
            do {
                finished(run, trainer, try trainer.train(observer: observer))
            } catch let stop as TrainingStop {
                if case .interrupted = stop { throw stop }
                failures.append("\(run.directory.url.path): \(stop)")
            }
        }
        return failures
    }
}
