import Foundation

/// Why an augmentation spec cannot be used: one line naming the bad part.
public struct AugmentationSpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension AugmentationSpec {
    /// The parts a spec may have, for error messages.
    static let grammar = "expected none, or comma-separated crop:P, rrc:S and flip[:P], as in crop:4,flip"

    /// Parses `none`, `crop:4`, `crop:4,flip`, `rrc:0.08,flip`, `flip:0.3`, ... (spaces around parts
    /// are ignored). Throws an `AugmentationSpecError` naming the first bad part.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts == ["none"] {
            self = .none
            return
        }
        var spec = AugmentationSpec()
        for part in parts {
            guard !part.isEmpty else {
                throw AugmentationSpecError(text.allSatisfy(\.isWhitespace) ? "the spec is empty; \(Self.grammar)"
                                                                           : "an empty part (a doubled or trailing comma); \(Self.grammar)")
            }
            let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pieces[0]), value = pieces.count > 1 ? String(pieces[1]) : nil
            switch name {
            case "none":
                throw AugmentationSpecError("'none' cannot be combined with other parts")
            case "crop", "rrc":
                guard spec.crop == nil else { throw AugmentationSpecError("'\(part)': a second crop; give one of crop:P and rrc:S") }
                spec.crop = name == "crop" ? .random(padding: try Self.padding(value, part: part))
                                           : .randomResized(minimumScale: try Self.minimumScale(value, part: part))
            case "flip":
                guard spec.flipProbability == nil else { throw AugmentationSpecError("'\(part)': flip is given twice") }
                spec.flipProbability = try value.map { try Self.probability($0, part: part) } ?? 0.5
            default:
                throw AugmentationSpecError("'\(part)': unknown part; \(Self.grammar)")
            }
        }
        self = spec
    }

    private static func padding(_ value: String?, part: String) throws -> Int {
        guard let value, let padding = Int(value), (0...maximumPadding).contains(padding) else {
            throw AugmentationSpecError("'\(part)': the padding must be a whole number of pixels from 0 to \(maximumPadding), as in crop:4")
        }
        return padding
    }

    private static func minimumScale(_ value: String?, part: String) throws -> Double {
        guard let value, let scale = Double(value), scale > 0 && scale <= 1 else {
            throw AugmentationSpecError("'\(part)': the scale must be a fraction of the image area in (0, 1], as in rrc:0.08")
        }
        return scale
    }

    private static func probability(_ value: String, part: String) throws -> Double {
        guard let probability = Double(value), (0...1).contains(probability) else {
            throw AugmentationSpecError("'\(part)': the flip probability must be in [0, 1], as in flip:0.5")
        }
        return probability
    }
}
