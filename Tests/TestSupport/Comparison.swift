import Tensors

/// Normwise relative error ‖actual − expected‖∞ / ‖expected‖∞: the measure every "matches to
/// 1e-k relative" test uses. Elements near zero are judged against the tensor's scale, not their
/// own, so a tiny entry cannot fail a test on rounding alone. Infinite if the shapes differ or a
/// value is not finite where the expectation is.
public func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
    relativeError(actual.map(Double.init), expected.map(Double.init))
}

public func relativeError(_ actual: [Double], _ expected: [Double]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    var difference = 0.0, scale = 0.0
    for (a, e) in zip(actual, expected) {
        guard a.isFinite || !e.isFinite else { return .infinity }
        difference = max(difference, abs(a - e))
        scale = max(scale, abs(e))
    }
    return scale == 0 ? difference : difference / scale
}

public func relativeError(_ actual: Tensor, _ expected: Tensor) -> Double {
    actual.shape == expected.shape ? relativeError(actual.scalars, expected.scalars) : .infinity
}

/// Largest elementwise |actual − expected|.
public func maximumAbsoluteError(_ actual: [Double], _ expected: [Double]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    return zip(actual, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
