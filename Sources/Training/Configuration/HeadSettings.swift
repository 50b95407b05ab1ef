import MultiProxy
import OptimalTransport

/// The head part of a run's configuration, in a form that survives JSON (config.json and the
/// checkpoint metadata) and rebuilds the same `HeadConfiguration`.
public struct HeadSettings: Codable, Sendable, Equatable {
    public var kind: String
    public var proxies: Int
    public var lambda: Float
    public var costExponent: Float
    public var threshold: Float
    public var maximumIterations: Int
    public var gradient: String
    public var bias: Bool
    /// The Sinkhorn stopping rule, `relative` or `batch-absolute`; nil (older runs) is relative.
    public var stopRule: String? = nil
    /// `balanced` or `unbalanced:TAU[,TAU][:normalized]` (`TransportSpecification`); nil (older
    /// runs) is balanced.
    public var transport: String? = nil

    public init(_ configuration: HeadConfiguration) {
        kind = configuration.kind.rawValue
        proxies = configuration.proxies
        lambda = configuration.wasserstein.sinkhorn.lambda
        costExponent = configuration.wasserstein.costExponent
        threshold = configuration.wasserstein.sinkhorn.threshold
        maximumIterations = configuration.wasserstein.sinkhorn.maximumIterations
        gradient = configuration.wasserstein.gradient.description
        bias = configuration.bias
        let sinkhorn = configuration.wasserstein.sinkhorn
        stopRule = sinkhorn.stopRule == .relative ? nil : sinkhorn.stopRule.rawValue
        transport = sinkhorn.relaxation == nil ? nil : configuration.wasserstein.transport.description
    }

    public func configuration() throws -> HeadConfiguration {
        guard let kind = HeadConfiguration.Kind(rawValue: kind) else { throw ConfigurationError("unknown head \(kind)") }
        let gradient: SinkhornGradient
        switch self.gradient {
        case "unrolled": gradient = .unrolled
        case "implicit": gradient = .implicit
        default: throw ConfigurationError("unknown gradient mode \(self.gradient)")
        }
        var sinkhorn = SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations, domain: .automatic)
        do {
            sinkhorn.stopRule = try stopRule.map { name throws(OptimalTransportError) in try SinkhornStopRule(name: name) } ?? .relative
        } catch { throw ConfigurationError("unknown stop rule \(stopRule ?? ""); choose relative or batch-absolute") }
        var wasserstein = WassersteinMatching(sinkhorn: sinkhorn, costExponent: costExponent, gradient: gradient)
        if let transport {
            do { wasserstein.transport = try TransportSpecification(transport) } catch { throw ConfigurationError(error.description) }
            if wasserstein.sinkhorn.relaxation != nil && gradient == .implicit {
                throw ConfigurationError("unbalanced transport has the unrolled gradient only, got gradient implicit")
            }
        }
        return HeadConfiguration(kind: kind, proxies: proxies, wasserstein: wasserstein, bias: bias)
    }
}

/// A configuration value that cannot be used, with the reason.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
