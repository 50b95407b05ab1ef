import ArgumentParser
import Datasets
import Training

/// `mpw train`'s data flags: which images, how they are read and augmented.
struct TrainDataOptions: ParsableArguments {
    @Option(help: "Dataset: \(DatasetKind.allCases.filter { $0 != .cifar10_1 }.map(\.rawValue).joined(separator: ", ")) (default fashion-mnist; where to get each: docs/data-formats.md).")
    var dataset: String?

    @Option(help: "Dataset directory (default for fashion-mnist: the Debian package's \(MNISTStyle.fashionMNISTDirectory)).")
    var data: String?

    @Option(name: .customLong("cifar100-labels"), help: "CIFAR-100 labels: fine (100 classes) or coarse (20) (default fine).")
    var cifar100Labels: CIFAR100.LabelGranularity?

    @Flag(name: .customLong("skip-bad"), help: "Image folders: leave out unreadable image files instead of failing (they are listed when the run starts).")
    var skipBad = false

    @Option(help: "Grey 28x28 images: pad-to-32 (1-channel stem), pad-to-32-rgb (3-channel stem), none (28x28) (default pad-to-32).")
    var greyscale: String?

    @Option(help: ArgumentHelp("Training augmentation: none, or comma-separated crop:P (random crop, P pixels of zero padding), rrc:S (RandomResizedCrop, area scale S to 1), flip[:P] (horizontal flip, probability 0.5 or P). Default per dataset: \(AugmentationSpec.defaultsSummary).", valueName: "spec"))
    var augment: String?

    @Flag(inversion: .prefixedNo, help: "CutMix (beta 1, probability 0.5), as in the PyramidNet recipe.")
    var cutmix = false

    @Option(parsing: .unconditional, help: "Train on the first N training images only.")
    var limitTrain: Int?

    @Option(parsing: .unconditional, help: "Evaluate on the first N test images only.")
    var limitTest: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hold out this fraction of the training split (chosen with --seed) and choose best.safetensors on it; the test split is then only reported (default: none, best is chosen on the test split; docs/training.md).", valueName: "fraction"))
    var validationSplit: Double?

    @Option(parsing: .unconditional, help: "Data loading threads (default 2).")
    var workers: Int?

    @Option(name: .customLong("cifar10.1"), help: "CIFAR-10.1 directory: a CIFAR-10 run evaluates its final and best checkpoints on it at the end (default: found next to --data).")
    var cifar10_1: String?

    func validate() throws {
        if let dataset, DatasetKind(rawValue: dataset) == nil { throw ValidationError(DatasetKind.unknownNameMessage(dataset)) }
        try requireCounts(("--limit-train", limitTrain), ("--limit-test", limitTest))
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be a fraction between 0 and 1, got \(validationSplit)")
        }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative, got \(workers)") }
        if let augment {
            do { _ = try TrainingConfiguration.parseAugmentation(augment) } catch { throw ValidationError("\(error)") }
        }
        if cifar10_1 != nil && (dataset ?? "fashion-mnist") != "cifar10" { throw ValidationError("--cifar10.1 needs --dataset cifar10") }
        if cifar100Labels != nil && dataset != "cifar100" { throw ValidationError("--cifar100-labels needs --dataset cifar100") }
        if skipBad && dataset != "folder" { throw ValidationError("--skip-bad applies to --dataset folder only (the other datasets have no image files)") }
    }

    /// Flags that a resumed run must not be given (it keeps its own).
    var flagsGiven: [(String, Bool)] {
        [("--dataset", dataset != nil), ("--data", data != nil), ("--limit-train", limitTrain != nil), ("--limit-test", limitTest != nil),
         ("--greyscale", greyscale != nil), ("--cutmix", cutmix), ("--augment", augment != nil), ("--cifar10.1", cifar10_1 != nil),
         ("--cifar100-labels", cifar100Labels != nil), ("--skip-bad", skipBad), ("--validation-split", validationSplit != nil)]
    }
}
