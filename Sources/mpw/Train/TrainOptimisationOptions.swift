import ArgumentParser
import Training

/// `mpw train`'s optimiser and schedule flags. Numbers take a leading minus sign as a value
/// (`--lr -0.1` is then refused by name) rather than as another flag.
struct TrainOptimisationOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Epochs (default 200).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Batch size, the global batch under mpirun (default 128).")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Initial learning rate (default 0.1).")
    var lr: Float?

    @Option(parsing: .unconditional, help: "SGD momentum (default 0.9).")
    var momentum: Float?

    @Option(parsing: .unconditional, help: "Weight decay, added to the gradient (default 5e-4).")
    var wd: Float?

    @Flag(inversion: .prefixedNo, help: "Nesterov momentum.")
    var nesterov = false

    @Flag(help: "No weight decay on biases and normalisation parameters.")
    var noDecayNormBias = false

    @Option(help: "Learning-rate schedule: multistep:E1,E2,... (x0.1 at each epoch; E% for a fraction of the run; xF after the list for another factor, as in multistep:30%,60%,80%x0.2), cosine, or constant (default multistep:50%,75%).")
    var schedule: String?

    @Option(parsing: .unconditional, help: "Epochs of linear learning-rate warm-up (default 0).")
    var warmup: Double?

    @Option(parsing: .unconditional, help: "Label smoothing of the cross-entropy (default 0).")
    var labelSmoothing: Float?

    func validate() throws {
        try requireCounts(("--epochs", epochs), ("--batch", batch))
        if let lr, !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be positive, got \(lr)") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        if let wd, !(wd >= 0) || !wd.isFinite { throw ValidationError("--wd must not be negative, got \(wd)") }
        if let warmup, !(warmup >= 0) || !warmup.isFinite { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 1) {
            throw ValidationError("--label-smoothing must be in [0, 1), got \(labelSmoothing)")
        }
        if nesterov && momentum == 0 { throw ValidationError("--nesterov needs a positive --momentum") }
    }

    /// Flags that a resumed run must not be given (it keeps its own).
    var flagsGiven: [(String, Bool)] {
        [("--epochs", epochs != nil), ("--batch", batch != nil), ("--lr", lr != nil), ("--momentum", momentum != nil), ("--wd", wd != nil),
         ("--schedule", schedule != nil), ("--warmup", warmup != nil), ("--label-smoothing", labelSmoothing != nil), ("--nesterov", nesterov),
         ("--no-decay-norm-bias", noDecayNormBias)]
    }
}
