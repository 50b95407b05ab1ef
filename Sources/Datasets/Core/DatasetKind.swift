import Kernels

/// The datasets the CLI can open by name, and how.
public enum DatasetKind: String, Sendable, CaseIterable {
    case fashionMNIST = "fashion-mnist"
    /// MNIST, or any dataset in the same IDX layout; class names are the digits 0-9.
    case mnistIDX = "mnist-idx"
    case cifar10
    case cifar100
    /// CIFAR-10.1: a test set only.
    case cifar10_1 = "cifar10.1"
    /// An ImageNet-style folder tree.
    case folder

    /// Choices that only some datasets have.
    public struct Options: Sendable {
        /// CIFAR-100's fine (100) or coarse (20) labels.
        public var cifar100Labels: CIFAR100.LabelGranularity
        /// The CIFAR-10.1 release to read.
        public var cifar10_1Version: CIFAR10_1.Version
        /// Image folders: leave out unreadable files instead of failing (`--skip-bad`).
        public var skipBadImages: Bool

        public init(cifar100Labels: CIFAR100.LabelGranularity = .fine, cifar10_1Version: CIFAR10_1.Version = .v6,
                    skipBadImages: Bool = false) {
            self.cifar100Labels = cifar100Labels
            self.cifar10_1Version = cifar10_1Version
            self.skipBadImages = skipBadImages
        }
    }

    /// The one-line refusal of a dataset name that is none of these, with the closest as a suggestion.
    public static func unknownNameMessage(_ name: String) -> String {
        let names = allCases.map(\.rawValue)
        return "--dataset \(name) is not a dataset\(NameSuggestion.clause(for: name, among: names)) (one of \(names.joined(separator: ", ")))"
    }

    /// Where the dataset is found when the user names no directory: Debian's package for
    /// Fashion-MNIST; nil (a directory is required) for the others.
    public var defaultDirectory: String? {
        self == .fashionMNIST ? MNISTStyle.fashionMNISTDirectory : nil
    }

    /// The splits the dataset has.
    public var splits: [DatasetSplit] {
        self == .cifar10_1 ? [.test] : [.train, .test]
    }

    /// The standard per-channel statistics for normalising this dataset's images (ImageNet's for
    /// image folders, CIFAR-10's for CIFAR-10.1, which is evaluated with CIFAR-10 models).
    public var normalization: Normalization {
        switch self {
        case .fashionMNIST: .fashionMNIST
        case .mnistIDX: .mnist
        case .cifar10, .cifar10_1: .cifar10
        case .cifar100: .cifar100
        case .folder: .imageNet
        }
    }

    /// Opens one split. `directory` falls back to `defaultDirectory`; for image folders it may
    /// hold `train/` and `val/` (or `test/`) subfolders. Throws a `DatasetError` naming the
    /// missing or bad file.
    public func open(directory: String?, split: DatasetSplit, options: Options = Options()) throws -> any Dataset {
        guard let directory = directory ?? defaultDirectory else {
            throw DatasetError(.invalidRequest, path: rawValue, "needs a data directory (--data DIR)")
        }
        guard splits.contains(split) else {
            throw DatasetError(.invalidRequest, path: rawValue, "has no \(split.rawValue) split (only \(splits.map(\.rawValue).joined(separator: ", ")))")
        }
        switch self {
        case .fashionMNIST:
            return try MNISTStyle.load(directory: directory, split: split, classNames: MNISTStyle.fashionMNISTClassNames)
        case .mnistIDX:
            return try MNISTStyle.load(directory: directory, split: split, classNames: MNISTStyle.digitClassNames)
        case .cifar10:
            return try CIFAR10.load(directory: directory, split: split)
        case .cifar100:
            return try CIFAR100.load(directory: directory, split: split, labels: options.cifar100Labels)
        case .cifar10_1:
            return try CIFAR10_1.load(directory: directory, version: options.cifar10_1Version)
        case .folder:
            return try ImageFolderDataset(root: ImageFolderDataset.splitRoot(directory, split: split),
                                          skipBadImages: options.skipBadImages)
        }
    }
}
