/// A figure over the seeds of one experiment: the median (as the paper reports), the range and
/// the number of seeds.
public struct SeedSpread: Codable, Sendable, Equatable {
    public var median: Double
    public var minimum: Double
    public var maximum: Double
    public var count: Int
    public var seeds: [UInt64]

    /// nil for no values. `values` by seed.
    public init?(_ values: [UInt64: Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.values.sorted()
        median = Self.median(sorted: sorted)
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
        count = sorted.count
        seeds = values.keys.sorted()
    }

    /// The middle value of sorted values (the mean of the two middle ones for an even count).
    public static func median(sorted: [Double]) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Per-seed differences `values - baseline` over the seeds both have.
    public static func paired(_ values: [UInt64: Double], minus baseline: [UInt64: Double]) -> SeedSpread? {
        var differences: [UInt64: Double] = [:]
        for (seed, value) in values { if let base = baseline[seed] { differences[seed] = value - base } }
        return SeedSpread(differences)
    }

    /// `91.20 [90.85-91.40] (3)`; with `signed`, `+0.25 [-0.10, +0.40] (3)`.
    public func text(decimals: Int = 2, signed: Bool = false) -> String {
        func number(_ x: Double) -> String {
            let body = String(format: "%.\(decimals)f", x)
            return signed && x >= 0 ? "+" + body : body
        }
        if count == 1 { return "\(number(median)) (1)" }
        return signed ? "\(number(median)) [\(number(minimum)), \(number(maximum))] (\(count))"
            : "\(number(median)) [\(number(minimum))-\(number(maximum))] (\(count))"
    }
}
