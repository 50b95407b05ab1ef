import Foundation
import Tensors

/// Samples of Beta(a, b), for CutMix's mixing ratio.
enum BetaDistribution {
    /// One sample of Beta(`a`, `b`). Beta(1, 1), CutMix's default, is the uniform distribution
    /// and takes one uniform draw; other parameters take X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
    static func sample(_ a: Double, _ b: Double, generator: inout RandomGenerator) -> Double {
        if a == 1 && b == 1 { return generator.nextUniformDouble() }
        let x = gamma(a, &generator), y = gamma(b, &generator)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang's squeeze method; shapes below one are boosted to
    /// shape + 1 and scaled by U^(1/shape).
    private static func gamma(_ shape: Double, _ generator: inout RandomGenerator) -> Double {
        if shape < 1 {
            let boost = pow(1 - generator.nextUniformDouble(), 1 / shape)
            return gamma(shape + 1, &generator) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = Double(generator.nextNormal())
            let v = pow(1 + c * x, 3)
            guard v > 0 else { continue }
            let u = 1 - generator.nextUniformDouble()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) {
                return d * v
            }
        }
    }
}
