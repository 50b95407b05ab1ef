/// Short readable forms for reports, such as
/// `pad(2) repeat(3) randomCrop(32, padding 4) flip(0.5) normalize cutMix(per-batch, p 0.5)`.
extension TransformStep: CustomStringConvertible {
    public var description: String {
        switch self {
        case .pad(let pixels): "pad(\(pixels))"
        case .randomCrop(let size, let padding): "randomCrop(\(size), padding \(padding))"
        case .horizontalFlip(let probability): "flip(\(probability))"
        case .randomResizedCrop(let size, let scale, let ratio):
            "randomResizedCrop(\(size), scale \(scale.lowerBound)-\(scale.upperBound), ratio \(Self.short(ratio.lowerBound))-\(Self.short(ratio.upperBound)))"
        case .resizeShortSide(let size): "resize(\(size))"
        case .centerCrop(let size): "centerCrop(\(size))"
        case .repeatChannels(let count): "repeat(\(count))"
        }
    }

    private static func short(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }
}

extension Transform: CustomStringConvertible {
    public var description: String {
        var parts = steps.map(\.description) + ["normalize"]
        if let cutMix { parts.append("cutMix(\(cutMix.pairing.rawValue), p \(cutMix.probability), beta \(cutMix.beta))") }
        return parts.joined(separator: " ")
    }
}
