import ArgumentParser
import Datasets

extension DatasetKind: ExpressibleByArgument {}
extension DatasetSplit: ExpressibleByArgument {}
extension CIFAR100.LabelGranularity: ExpressibleByArgument {}
extension CIFAR10_1.Version: ExpressibleByArgument {}
extension Transform.GreyscaleAdaptation: ExpressibleByArgument {}
extension CutMix.Pairing: ExpressibleByArgument {}

/// Which dataset to read and how: the options every data-reading command shares.
struct DatasetSelection: ParsableArguments {
    @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKind = .fashionMNIST

    @Option(name: .customLong("data"), help: ArgumentHelp("Dataset directory (fashion-mnist defaults to \(MNISTStyle.fashionMNISTDirectory)).", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("cifar100-labels"), help: "CIFAR-100 labels: fine (100 classes) or coarse (20).")
    var cifar100Labels: CIFAR100.LabelGranularity = .fine

    @Option(name: .customLong("cifar10.1-version"), help: "CIFAR-10.1 release: v6 or v4.")
    var cifar10_1Version: CIFAR10_1.Version = .v6

    @Flag(name: .customLong("skip-bad"), help: "Image folders: leave out unreadable image files instead of failing.")
    var skipBad = false

    /// The directory the dataset is read from, for reports.
    var resolvedDirectory: String {
        directory ?? dataset.defaultDirectory ?? "-"
    }

    func open(_ split: DatasetSplit) throws -> any Dataset {
        try dataset.open(directory: directory, split: split,
                         options: .init(cifar100Labels: cifar100Labels, cifar10_1Version: cifar10_1Version, skipBadImages: skipBad))
    }
}
