/// The KL relaxation of the marginal constraints that makes entropic transport unbalanced
/// (Chizat et al. 2018; POT's `sinkhorn_unbalanced` with `reg_type = "kl"`, `reg_m` = tau): the
/// plan minimises <P, C> + lambda KL(P | mu nu^T) + tau_s KL(P 1 | mu) + tau_t KL(P^T 1 | nu), so
/// either side may leave mass unmatched, at a price tau per unit of KL divergence. tau -> infinity
/// gives balanced transport back; small tau lets the plan shrink.
public struct MarginalRelaxation: Sendable, Equatable, CustomStringConvertible {
    /// tau on the source side (rows), > 0; infinity keeps that marginal exact.
    public var source: Float
    /// tau on the target side (columns), > 0; infinity keeps that marginal exact.
    public var target: Float

    public init(source: Float, target: Float) {
        self.source = source
        self.target = target
    }

    /// The same tau on both sides.
    public init(_ tau: Float) { self.init(source: tau, target: tau) }

    /// The exponent tau / (tau + lambda) of the scaling updates on the source side (1 for tau = infinity).
    public func sourceExponent(lambda: Float) -> Float { Self.exponent(source, lambda: lambda) }

    /// The exponent tau / (tau + lambda) on the target side.
    public func targetExponent(lambda: Float) -> Float { Self.exponent(target, lambda: lambda) }

    static func exponent(_ tau: Float, lambda: Float) -> Float {
        tau.isInfinite ? 1 : tau / (tau + lambda)
    }

    /// Throws unless both values are positive (infinity allowed).
    public func validate() throws(OptimalTransportError) {
        for tau in [source, target] where !(tau > 0) { throw .nonPositiveRelaxation(tau) }
    }

    public var description: String { source == target ? "tau=\(source)" : "tau=\(source),\(target)" }
}
