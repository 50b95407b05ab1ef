/// Per-channel normalisation, `(pixel / 255 - mean[c]) / standardDeviation[c]`, the last step of
/// every transform (torchvision's `ToTensor` followed by `Normalize`).
///
/// A single-entry normalisation applies to every channel, so a grey dataset's statistics still
/// fit after its channel is repeated to RGB.
public struct Normalization: Sendable, Equatable {
    /// Channel means in [0, 1] units.
    public var mean: [Float]
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(!mean.isEmpty && mean.count == standardDeviation.count,
                     "Normalization: needs as many means as standard deviations, got \(mean.count) and \(standardDeviation.count)")
        precondition(standardDeviation.allSatisfy { $0 > 0 }, "Normalization: standard deviations must be positive")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Scales pixels to [0, 1] and nothing else.
    public static let unit = Normalization(mean: [0], standardDeviation: [1])
    /// CIFAR-10 training set, per-pixel statistics over all 50,000 images.
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], standardDeviation: [0.2470, 0.2435, 0.2616])
    /// CIFAR-100 training set.
    public static let cifar100 = Normalization(mean: [0.5071, 0.4865, 0.4409], standardDeviation: [0.2673, 0.2564, 0.2762])
    /// Fashion-MNIST training set (checked against the real data by the tests).
    public static let fashionMNIST = Normalization(mean: [0.2860], standardDeviation: [0.3530])
    /// MNIST training set.
    public static let mnist = Normalization(mean: [0.1307], standardDeviation: [0.3081])
    /// ImageNet (ILSVRC2012) training set, as torchvision's models use.
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225])

    /// True when the statistics fit images with `channels` channels.
    func fits(channels: Int) -> Bool {
        mean.count == 1 || mean.count == channels
    }

    /// Per-channel `scale` and `offset` such that the output is `pixel * scale + offset`.
    func affine(channels: Int) -> (scale: [Float], offset: [Float]) {
        let indices = (0..<channels).map { mean.count == 1 ? 0 : $0 }
        return (indices.map { 1 / (255 * standardDeviation[$0]) }, indices.map { -mean[$0] / standardDeviation[$0] })
    }
}
