import Kernels

// Lane reductions and lane-wise extremes that compile to a handful of vector instructions.
// The standard library's versions are written for exact IEEE semantics lane by lane (`sum()`
// adds lanes in order; `pointwiseMin`/`pointwiseMax` follow `Float.minimum`'s NaN and signed-zero
// rules), and for SIMD16 they compile to scalar loops that dominate small per-problem kernels.

extension SIMD16 where Scalar == Float {
    /// The sum of the lanes by halving (8 + 8, 4 + 4, 2 + 2, 1 + 1): four dependent additions
    /// instead of fifteen, on the Sinkhorn critical path (K^T alpha, then beta, then K beta).
    @inline(__always)
    var pairwiseSum: Float {
        let eight = lowHalf + highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// The lane-wise smaller of two vectors (NaN handling unspecified: inputs here are numbers).
    @inline(__always)
    func lanewiseMinimum(_ other: Self) -> Self { replacing(with: other, where: other .< self) }

    /// The lane-wise larger of two vectors.
    @inline(__always)
    func lanewiseMaximum(_ other: Self) -> Self { replacing(with: other, where: other .> self) }

    /// The smallest lane, by halving.
    @inline(__always)
    var smallestLane: Float {
        let eight = lowHalf.replacing(with: highHalf, where: highHalf .< lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .< eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .< four.lowHalf)
        return Swift.min(two[0], two[1])
    }

    /// The largest lane, by halving.
    @inline(__always)
    var largestLane: Float {
        let eight = lowHalf.replacing(with: highHalf, where: highHalf .> lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
        return Swift.max(two[0], two[1])
    }
}
