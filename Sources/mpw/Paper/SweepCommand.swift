import ArgumentParser
import Foundation
import Kernels
import Training

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run every (preset, seed) pair as its own run directory, one after another; re-run to resume.",
        discussion: """
            Runs go to OUT/<preset>/seed-<s>. Run the same command again after a crash or Ctrl-C: finished runs \
            (summary.json present) are skipped and the interrupted one resumes exactly where it stopped. Any other \
            flag is a train flag and applies to every run (e.g. --dataset fashion-mnist --epochs 2 --limit-train 5000 \
            --threads 2). Several machines: give each the same command with --shard i/n (i = 1..n); the runs are \
            dealt out round-robin in a fixed order, each host writes only its own run directories, and \
            `mpw report` reads them together (a shared OUT or the directories copied side by side).
            """
    )

    @Option(help: "Comma-separated presets (`mpw presets` lists them).")
    var presets: String?

    @Option(help: "Every preset of this table of the paper (1-4).")
    var table: Int?

    @Option(help: "Comma-separated seeds.")
    var seeds = "0,1,2,3,4"

    @Option(help: "Directory of the sweep's run directories.")
    var out: String

    @Option(help: "i/n: run only the i-th of n shares of the runs (1-based), for spreading a sweep over n machines.")
    var shard: String?

    @Flag(help: "Print the runs and how far each is, then stop.")
    var list = false

    @Argument(parsing: .allUnrecognized, help: "Train flags applied to every run.")
    var trainingArguments: [String] = []

    func validate() throws {
        guard (presets == nil) != (table == nil) else { throw ValidationError("give either --presets P1,P2,... or --table N") }
        if let table, !(1...4).contains(table) { throw ValidationError("--table must be 1, 2, 3 or 4, got \(table)") }
        for name in presetNames where PaperPresets.named(name) == nil { throw ValidationError(PresetExpansion.unknown(name)) }
        _ = try parsedSeeds()
        _ = try parsedShard()
        for flag in ["--seed", "--out", "--resume", "--preset"] where trainingArguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) {
            throw ValidationError("\(flag) cannot be given to a sweep: it sets each run's \(flag.dropFirst(2)) itself")
        }
    }

    var presetNames: [String] {
        if let table { return PaperPresets.table(table).map(\.name) }
        return (presets ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func parsedSeeds() throws -> [UInt64] {
        let parts = seeds.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.count == parts.count, Set(values).count == values.count else {
            throw ValidationError("--seeds \(seeds): expected distinct non-negative integers, as in 0,1,2")
        }
        return values
    }

    func parsedShard() throws -> (index: Int, count: Int) {
        guard let shard else { return (1, 1) }
        let parts = shard.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard \(shard): expected i/n with 1 <= i <= n, as in 2/3")
        }
        return (parts[0], parts[1])
    }

    func plan() throws -> SweepPlan {
        let shard = try parsedShard()
        do {
            return try SweepPlan(presets: presetNames, seeds: try parsedSeeds(), trainingArguments: trainingArguments, out: out,
                                 shard: shard.index, shards: shard.count)
        } catch {
            throw ValidationError("a sweep run's train flags are not valid: \(TrainCommand.message(for: error))")
        }
    }

    func run() throws {
        let plan = try plan()
        if list {
            for (index, run) in plan.runs.enumerated() {
                let state: String
                switch try plan.status(of: run) {
                case .finished: state = "finished"
                case .partial(let checkpoint): state = "stopped in epoch \(checkpoint.state.epoch + 1) of \(checkpoint.configuration.epochs) after batch \(checkpoint.state.batch)"
                case .pending: state = "not started"
                }
                print("\(index + 1)/\(plan.runs.count)  \(run.directory.url.path)  \(state)")
            }
            return
        }
        let start = Date()
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        var display = ProgressDisplay(interval: 50)
        let failures: [String]
        do {
            var finishedHere = 0
            failures = try plan.execute(observer: { display.handle($0) }, starting: { index, run, trainer in
                display = ProgressDisplay(interval: run.logEvery)
                print("\n== run \(index + 1)/\(plan.runs.count): \(run.preset), seed \(run.seed) ==")
                if finishedHere > 0 {
                    let perRun = Date().timeIntervalSince(start) / Double(finishedHere)
                    print("sweep: \(counted(finishedHere, "run")) finished in \(duration(Date().timeIntervalSince(start))); about \(duration(perRun * Double(plan.runs.count - index))) left for the other \(plan.runs.count - index) at that pace")
                }
                print("run directory: \(run.directory.url.path)" + (trainer.state.epoch > 0 || trainer.state.batch > 0
                    ? " (resuming at epoch \(trainer.state.epoch + 1), batch \(trainer.state.batch))" : ""))
            }, finished: { _, trainer, summary in
                finishedHere += 1
                display.finish()
                TrainingSession.printSummary(summary, records: trainer.records)
            }, skipped: { index, run in
                print("run \(index + 1)/\(plan.runs.count): \(run.directory.url.path) finished, skipped")
            })
        } catch let stop as TrainingStop {
            display.finish()
            print("mpw: \(stop)")
            print("sweep stopped; run the same command again to continue it")
            throw ExitCode(130)
        }
        print("\nsweep of \(plan.runs.count) runs in \(out) done in \(duration(Date().timeIntervalSince(start))); `mpw report \(out)` tabulates it")
        if !failures.isEmpty {
            for failure in failures { print("failed: \(failure)") }
            throw ExitCode.failure
        }
    }
}
