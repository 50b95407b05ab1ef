import ArgumentParser
import Models
import Training

/// `mpw train`'s run flags: where the run lives, how it starts, stops and reports.
struct TrainRunOptions: ParsableArguments {
    @Option(help: "A paper experiment (`mpw presets` lists them): fills every setting; flags given with it override them.")
    var preset: String?

    @Option(help: "Run directory (default runs/<dataset>-<model>-<head>-<time>).")
    var out: String?

    @Option(help: "Continue the run in this directory exactly where it stopped; takes every setting from its checkpoint.")
    var resume: String?

    @Option(parsing: .unconditional, help: "Random seed for initialisation, data order and augmentation (default 0).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Stop after N training steps of this invocation, saving a checkpoint as Ctrl-C does (resume continues).")
    var stopAfter: Int?

    @Option(parsing: .unconditional, help: "Without a terminal: print a progress line every N steps.")
    var logEvery = 50

    @Flag(inversion: .prefixedNo, help: "Write TensorBoard events (events.out.tfevents.*) into the run directory.")
    var tensorboard = true

    func validate() throws {
        try requireCounts(("--log-every", logEvery), ("--stop-after", stopAfter))
        if let preset, PaperPresets.named(preset) == nil { throw ValidationError(PresetExpansion.unknown(preset)) }
    }

    /// Flags that a resumed run must not be given (it keeps its own).
    var flagsGiven: [(String, Bool)] {
        [("--seed", seed != nil), ("--out", out != nil), ("--preset", preset != nil)]
    }
}

/// `mpw train`'s backbone choice.
struct TrainModelOptions: ParsableArguments {
    @Option(help: "Backbone: \(ModelZoo.names.joined(separator: ", ")) (default resnet20).")
    var model: String?

    func validate() throws {
        if let model, !ModelZoo.names.contains(model) { throw ValidationError("--model \(model): \(ModelZoo.UnknownModel(name: model))") }
    }
}
