/// One experiment of the paper (Liu et al., Tables 1-4) as `mpw train` settings, with the number
/// the paper published for it.
///
/// The settings are the train command's own flags and values, applied before the flags a user
/// gives (which therefore override them); a setting the train command gains later is one more
/// pair in `PaperRecipes`.
public struct PaperPreset: Sendable, Equatable {
    /// `cifar100-wrn40_2-mpw`, `table4-resnet20-bilinear`, `imagenet-resnet50-gapfc`.
    public let name: String
    /// The paper's table (1: CIFAR-10 and CIFAR-10.1, 2: CIFAR-100, 3: ILSVRC2012, 4: heads on CIFAR-100).
    public let table: Int
    /// The backbone as the paper names it ("ResNet-18", "WRN40-2").
    public let paperModel: String
    /// The paper's row: "Baseline", "Ours" or a Table 4 head ("Baseline + Bilinear").
    public let paperRow: String
    public let dataset: String
    public let model: String
    public let head: String
    /// The recipe and where it comes from.
    public let description: String
    /// `mpw train` flags with their values (nil for a switch such as `--nesterov`).
    public let settings: [Setting]
    public let published: Published

    public struct Setting: Sendable, Equatable {
        public let flag: String
        public let value: String?

        public init(_ flag: String, _ value: String? = nil) {
            self.flag = flag
            self.value = value
        }
    }

    /// What the paper reports for this experiment, in percent (the median of 5 runs).
    public struct Published: Sendable, Equatable {
        /// Top-1 on the test set (CIFAR-10, CIFAR-100 or ILSVRC2012 validation).
        public var top1: Double
        /// Top-5 (Table 3 only).
        public var top5: Double? = nil
        /// Top-1 on CIFAR-10.1 (Table 1 only).
        public var cifar10_1: Double? = nil
        /// The baseline's figure in its original paper, where the paper lists one (its "*").
        public var originalPaper: Double? = nil
    }

    /// The settings as command-line arguments.
    public var arguments: [String] {
        settings.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
    }
}
