import ModelGraph
import OptimalTransport

/// The matching flow as the graph op carries it, and back: the graph keeps every transport
/// setting of the MPW head, so a head rebuilt from a graph solves the same Sinkhorn problems.
extension MatchingFlow {
    public var graphFlow: GraphOperation.MultiProxy.Flow {
        switch self {
        case .cosine: return .cosine
        case .uniform: return .uniform
        case .wasserstein(let settings):
            let sinkhorn = settings.sinkhorn
            return .wasserstein(GraphOperation.Transport(
                lambda: sinkhorn.lambda, threshold: sinkhorn.threshold, maximumIterations: sinkhorn.maximumIterations,
                stopRule: sinkhorn.stopRule.rawValue, domain: sinkhorn.domain.description, costExponent: settings.costExponent,
                relaxation: sinkhorn.relaxation.map { GraphOperation.Transport.Relaxation(source: $0.source, target: $0.target) },
                normalizesScoreByMass: settings.normalizesScoreByMass, gradient: settings.gradient.description))
        }
    }

    /// The flow a graph op describes; the error is one line naming the setting at fault.
    public init(graphFlow: GraphOperation.MultiProxy.Flow) throws(MatchingFlowGraphError) {
        switch graphFlow {
        case .cosine: self = .cosine
        case .uniform: self = .uniform
        case .wasserstein(let transport):
            let domain: SinkhornDomain
            switch transport.domain {
            case "automatic": domain = .automatic
            case "kernel": domain = .kernel
            case "log": domain = .log
            default: throw MatchingFlowGraphError("unknown domain '\(transport.domain)' (automatic, kernel, log)")
            }
            let gradient: SinkhornGradient
            switch transport.gradient {
            case "unrolled": gradient = .unrolled
            case "implicit": gradient = .implicit
            default: throw MatchingFlowGraphError("unknown gradient '\(transport.gradient)' (unrolled, implicit)")
            }
            guard let stopRule = SinkhornStopRule(rawValue: transport.stopRule) else {
                throw MatchingFlowGraphError("unknown stop rule '\(transport.stopRule)' (\(SinkhornStopRule.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var sinkhorn = SinkhornParameters(lambda: transport.lambda, threshold: transport.threshold,
                                              maximumIterations: transport.maximumIterations, domain: domain)
            sinkhorn.stopRule = stopRule
            sinkhorn.relaxation = transport.relaxation.map { MarginalRelaxation(source: $0.source, target: $0.target) }
            do { try sinkhorn.validate() } catch { throw MatchingFlowGraphError("transport settings: \(error)") }
            guard sinkhorn.relaxation == nil || gradient == .unrolled else {
                throw MatchingFlowGraphError("unbalanced transport has the unrolled gradient only, the graph says '\(transport.gradient)'")
            }
            var settings = WassersteinMatching(sinkhorn: sinkhorn, costExponent: transport.costExponent, gradient: gradient)
            settings.normalizesScoreByMass = transport.normalizesScoreByMass
            self = .wasserstein(settings)
        }
    }
}

/// A multi-proxy graph op whose settings this library cannot run.
public struct MatchingFlowGraphError: Error, CustomStringConvertible {
    public let description: String

    init(_ reason: String) {
        description = "multi_proxy op: " + reason
    }
}
