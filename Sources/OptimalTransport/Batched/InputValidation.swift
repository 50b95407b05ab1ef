import Kernels

/// The checks that turn bad user values into `OptimalTransportError`s before any solve runs.
enum InputValidation {
    /// The first negative or non-finite entry of one problem's `count` contiguous costs, as an
    /// error. A vector scan in the common case, an element scan only to locate a failure.
    static func costError(_ costs: UnsafePointer<Float>, count: Int, columns: Int, problem: Int) -> OptimalTransportError? {
        let width = FloatVector.scalarCount
        var suspicious = false
        var start = 0
        while start + width <= count {
            let values = VectorLoops.load(costs + start)
            suspicious = suspicious || any((values .< 0) .| .!(VectorMath.abs(values) .< .infinity))
            start += width
        }
        for index in start..<count where !(costs[index] >= 0 && costs[index].isFinite) { suspicious = true }
        guard suspicious else { return nil }
        for index in 0..<count {
            let value = costs[index]
            if !value.isFinite { return .nonFiniteCost(problem: problem, row: index / columns, column: index % columns, value: value) }
            if value < 0 { return .negativeCost(problem: problem, row: index / columns, column: index % columns, value: value) }
        }
        return nil
    }

    /// Checks `problems` marginals of `length` entries each (one shared vector when `problems` is 1).
    static func checkMarginals(_ values: UnsafePointer<Float>, problems: Int, length: Int,
                               side: OptimalTransportError.Marginal, requireUnitSum: Bool = true) throws(OptimalTransportError) {
        for problem in 0..<problems {
            let vector = values + problem * length
            var sum = 0.0
            for index in 0..<length {
                let value = vector[index]
                guard value.isFinite, value > 0 else {
                    throw .invalidMarginalEntry(marginal: side, problem: problem, index: index, value: Double(value))
                }
                sum += Double(value)
            }
            guard !requireUnitSum || abs(sum - 1) <= OptimalTransportError.marginalSumTolerance else {
                throw .marginalSumIsNotOne(marginal: side, problem: problem, sum: sum)
            }
        }
    }
}
