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

    public init(_ configuration: HeadConfiguration) {
        kind = configuration.kind.rawValue
        proxies = configuration.proxies
        lambda = configuration.wasserstein.sinkhorn.lambda
        costExponent = configuration.wasserstein.costExponent
        threshold = configuration.wasserstein.sinkhorn.threshold
        maximumIterations = configuration.wasserstein.sinkhorn.maximumIterations
        gradient = configuration.wasserstein.gradient.description
        bias = configuration.bias
    }

    public func configuration() throws -> HeadConfiguration {
        guard let kind = HeadConfiguration.Kind(rawValue: kind) else { throw ConfigurationError("unknown head \(kind)") }
        let gradient: SinkhornGradient
        switch self.gradient {
        case "unrolled": gradient = .unrolled
        case "implicit": gradient = .implicit
        default: throw ConfigurationError("unknown gradient mode \(self.gradient)")
        }
        return HeadConfiguration(
            kind: kind, proxies: proxies,
            wasserstein: WassersteinMatching(
                sinkhorn: SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations, domain: .automatic),
                costExponent: costExponent, gradient: gradient),
            bias: bias)
    }
}

/// A configuration value that cannot be used, with the reason.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
