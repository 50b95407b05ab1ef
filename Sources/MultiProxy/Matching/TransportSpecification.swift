import OptimalTransport

/// The transport of the Wasserstein flow as one word, as `--transport` and the run
/// configuration spell it: `balanced` (the paper's), or `unbalanced:TAU` (the same tau on both
/// sides), `unbalanced:TAU_FEATURES,TAU_PROXIES`, each optionally followed by `:normalized` to
/// divide the score by the plan's mass.
public struct TransportSpecification: Sendable, Equatable, CustomStringConvertible {
    public var relaxation: MarginalRelaxation?
    public var normalizesScoreByMass: Bool

    public static let balanced = TransportSpecification(relaxation: nil, normalizesScoreByMass: false)

    public init(relaxation: MarginalRelaxation?, normalizesScoreByMass: Bool) {
        self.relaxation = relaxation
        self.normalizesScoreByMass = normalizesScoreByMass
    }

    /// Parses `text`; the error is one line naming the value and the accepted forms.
    public init(_ text: String) throws(TransportSpecificationError) {
        if text == "balanced" {
            self = .balanced
            return
        }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "unbalanced", parts.count == 2 || parts.count == 3 else { throw .init(text, "") }
        var normalized = false
        if parts.count == 3 {
            guard parts[2] == "normalized" else { throw .init(text, "") }
            normalized = true
            parts.removeLast()
        }
        let values = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Float(String($0)) }
        guard values.count == 1 || values.count == 2, let source = values[0], let target = values.last ?? nil else {
            throw .init(text, "")
        }
        let relaxation = MarginalRelaxation(source: source, target: target)
        do { try relaxation.validate() } catch { throw .init(text, "; tau must be a positive number (inf keeps a marginal exact)") }
        self.init(relaxation: relaxation, normalizesScoreByMass: normalized)
    }

    public var description: String {
        guard let relaxation else { return "balanced" }
        let taus = relaxation.source == relaxation.target ? "\(relaxation.source)" : "\(relaxation.source),\(relaxation.target)"
        return "unbalanced:\(taus)" + (normalizesScoreByMass ? ":normalized" : "")
    }
}

/// A transport specification that does not parse.
public struct TransportSpecificationError: Error, CustomStringConvertible {
    public let description: String

    init(_ text: String, _ reason: String) {
        description = "transport '\(text)' is not valid\(reason); use balanced, unbalanced:TAU, unbalanced:TAU_FEATURES,TAU_PROXIES, optionally followed by :normalized"
    }
}

extension WassersteinMatching {
    /// The transport part of these settings.
    public var transport: TransportSpecification {
        get { TransportSpecification(relaxation: sinkhorn.relaxation, normalizesScoreByMass: normalizesScoreByMass) }
        set {
            sinkhorn.relaxation = newValue.relaxation
            normalizesScoreByMass = newValue.normalizesScoreByMass
        }
    }
}
