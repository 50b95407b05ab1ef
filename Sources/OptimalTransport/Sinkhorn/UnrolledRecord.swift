/// What a forward solve leaves for the unrolled backward pass, in a caller-provided float buffer.
///
/// Layout: a 4-float header (iterations run, domain code 0 = kernel / 1 = log, the cost minimum
/// the kernel was shifted by, unused), then beta_t for t = 1...iterations, m floats each (log beta_t in
/// the log domain). alpha_t is not stored: the backward recomputes it as mu / (K beta_{t-1}),
/// one matrix-vector product per iteration, which costs less than moving n floats per iteration
/// through memory and keeps the record at 4 + m * maximumIterations floats.
struct UnrolledRecord {
    static let headerCount = 4

    let base: UnsafeMutablePointer<Float>
    let columns: Int

    static func count(columns: Int, maximumIterations: Int) -> Int {
        headerCount + columns * maximumIterations
    }

    func writeHeader(iterations: Int, domain: SinkhornDomain, costMinimum: Float) {
        base[0] = Float(iterations)
        base[1] = domain == .log ? 1 : 0
        base[2] = costMinimum
        base[3] = 0
    }

    var iterations: Int { Int(base[0]) }
    var domain: SinkhornDomain { base[1] == 1 ? .log : .kernel }
    var costMinimum: Float { base[2] }

    /// beta_t (or log beta_t), t in 1...iterations.
    func beta(_ iteration: Int) -> UnsafeMutablePointer<Float> {
        base + Self.headerCount + (iteration - 1) * columns
    }
}
