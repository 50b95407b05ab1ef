/// What `WeightTransfer` did with the head of the model being fine-tuned.
public enum HeadTransfer: Equatable, Sendable, CustomStringConvertible {
    /// The file's head fits the model's and was loaded.
    case kept
    /// The file's head has another number of classes; the model's head keeps its fresh initialisation.
    case replaced(fileClasses: Int, classes: Int)
    /// The file has no head tensors; the model's head keeps its fresh initialisation.
    case absent
    /// An MPW head seeded from a GAP-FC head: every proxy of class k is FC row k plus noise.
    /// `bias` says what became of the FC bias.
    case seededFromLinear(proxies: Int, noise: Float, bias: BiasTransfer)

    public enum BiasTransfer: Sendable {
        case copied, dropped, none
    }

    public var description: String {
        switch self {
        case .kept: return "head loaded from the file"
        case .replaced(let fileClasses, let classes): return "head replaced: the file's has \(fileClasses) classes, this run \(classes)"
        case .absent: return "the file has no head: freshly initialised"
        case .seededFromLinear(let proxies, let noise, let bias):
            let biasNote: String
            switch bias {
            case .copied: biasNote = ", bias copied"
            case .dropped: biasNote = "; its bias is dropped (the MPW head has none without --bias)"
            case .none: biasNote = ""
            }
            return "MPW head seeded from the GAP-FC head: \(proxies) proxies per class = its FC row + noise of \(noise) x the row's RMS\(biasNote)"
        }
    }
}
