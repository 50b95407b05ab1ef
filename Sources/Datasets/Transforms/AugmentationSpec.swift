/// A training augmentation as the command line writes it (`mpw train --augment SPEC`): `none`, or
/// comma-separated parts with at most one crop and at most one flip, in any order:
///
/// - `crop:P`: torchvision's `RandomCrop(S, padding: P)`, S being the network's input side (32, or
///   28 for grey images kept at 28x28; for image folders 224, cut after `Resize(256)`);
/// - `rrc:S`: `RandomResizedCrop(side, scale: S...1, ratio: 3/4...4/3)`, the ImageNet recipe's crop;
/// - `flip` or `flip:P`: `RandomHorizontalFlip(P)`, P 0.5 unless given.
///
/// The crop runs before the flip, as in torchvision's recipes. `description` is the canonical
/// form (`crop:4,flip`), which parses back to the same value. CutMix, a batch-level step, is chosen
/// separately (`Transform.cutMix`).
public struct AugmentationSpec: Sendable, Equatable, CustomStringConvertible {
    /// The random crop of a spec.
    public enum Crop: Sendable, Equatable {
        /// `crop:P`: a window of the input side at a random position in the image padded by P zeros.
        case random(padding: Int)
        /// `rrc:S`: a random box of area fraction S...1 and ratio 3/4...4/3, resized to the input side.
        case randomResized(minimumScale: Double)
    }

    public var crop: Crop?
    /// The probability of a horizontal flip; nil for no flip step at all.
    public var flipProbability: Double?

    /// The largest `crop:P` padding accepted: more would leave hardly any of the image in a window.
    public static let maximumPadding = 256

    public init(crop: Crop? = nil, flipProbability: Double? = nil) {
        self.crop = crop
        self.flipProbability = flipProbability
    }

    /// No augmentation: training images get only the steps every image needs.
    public static let none = AugmentationSpec()

    /// The default a careful user would pick per dataset: the CIFAR recipe (`crop:4,flip`) for
    /// CIFAR and Fashion-MNIST, a crop without the flip for MNIST digits (a mirrored 2 is not a 2),
    /// the ImageNet recipe (`rrc:0.08,flip`) for image folders.
    public static func standard(for kind: DatasetKind) -> AugmentationSpec {
        switch kind {
        case .mnistIDX: AugmentationSpec(crop: .random(padding: 4))
        default: legacy(for: kind)
        }
    }

    /// What every run of a dataset trained with before the augmentation could be chosen: the
    /// CIFAR recipe, flip included, for every 32x32 and 28x28 dataset, the ImageNet recipe for
    /// folders. Runs stored without a spec resume with it.
    public static func legacy(for kind: DatasetKind) -> AugmentationSpec {
        switch kind {
        case .folder: AugmentationSpec(crop: .randomResized(minimumScale: 0.08), flipProbability: 0.5)
        default: AugmentationSpec(crop: .random(padding: 4), flipProbability: 0.5)
        }
    }

    /// The defaults of every trainable dataset, grouped: `crop:4,flip (fashion-mnist, cifar10,
    /// cifar100), crop:4 (mnist-idx), rrc:0.08,flip (folder)`, for help texts.
    public static var defaultsSummary: String {
        var groups: [(spec: String, datasets: [String])] = []
        for kind in DatasetKind.allCases where kind.splits.contains(.train) {
            let spec = standard(for: kind).description
            if let index = groups.firstIndex(where: { $0.spec == spec }) {
                groups[index].datasets.append(kind.rawValue)
            } else {
                groups.append((spec, [kind.rawValue]))
            }
        }
        return groups.map { "\($0.spec) (\($0.datasets.joined(separator: ", ")))" }.joined(separator: ", ")
    }

    public var description: String {
        var parts: [String] = []
        switch crop {
        case .random(let padding): parts.append("crop:\(padding)")
        case .randomResized(let minimumScale): parts.append("rrc:\(minimumScale)")
        case nil: break
        }
        if let flipProbability { parts.append(flipProbability == 0.5 ? "flip" : "flip:\(flipProbability)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
