import ArgumentParser

/// Flags by the names other training tools give them (PyTorch's examples, timm, Lightning):
/// `--learning-rate` is answered with `--lr`. argument-parser itself suggests only flags a few
/// typing errors away, which these are not.
enum FlagSynonyms {
    /// Their name elsewhere, and ours. None of the left-hand names is a flag of any `mpw` command.
    static let ours: [String: String] = [
        "--learning-rate": "--lr", "--base-lr": "--lr", "--weight-decay": "--wd", "--batch-size": "--batch",
        "--num-epochs": "--epochs", "--max-epochs": "--epochs", "--n-epochs": "--epochs",
        "--num-workers": "--workers", "--output": "--out", "--output-dir": "--out", "--save-dir": "--out", "--log-dir": "--out",
        "--data-dir": "--data", "--data-path": "--data", "--dataset-dir": "--data", "--arch": "--model", "--network": "--model",
        "--scheduler": "--schedule", "--sched": "--schedule", "--lr-schedule": "--schedule", "--warmup-epochs": "--warmup",
        "--smoothing": "--label-smoothing", "--pretrained": "--init", "--initial-checkpoint": "--init",
        "--val-split": "--validation-split", "--val-fraction": "--validation-split", "--num-threads": "--threads",
        "--batch-norm": "--batchnorm", "--resume-from": "--resume",
    ]

    /// The first argument named as another tool names it, as argument-parser words an unknown option.
    static func check(_ arguments: [String]) throws {
        for argument in arguments where argument.hasPrefix("--") {
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            if let flag = ours[name] { throw ValidationError("Unknown option '\(name)'. Did you mean '\(flag)'?") }
        }
    }
}
