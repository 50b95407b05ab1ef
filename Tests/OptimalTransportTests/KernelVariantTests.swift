import Foundation
import Testing
@testable import Kernels
import Tensors
import TestSupport
@testable import OptimalTransport

/// Every build of the dispatched C kernels this CPU can run gives the portable build's results.
///
/// The AVX-512 and AVX2 builds do the same arithmetic (the same fused multiply-adds on the same
/// 16-lane vectors, summed in the same order), so they must agree bit for bit. The portable x86
/// build rounds each product before adding it (no FMA in the baseline instruction set), which
/// changes each multiply-add by at most half an ulp; the exp polynomial and 30 Sinkhorn
/// iterations then carry that along without amplifying it much (the iteration contracts). The
/// backward recursion sums terms of both signs, so its small entries have no relative accuracy:
/// the cost gradient is compared in ulps of its largest entry. Measured on the Intel Xeon
/// (family 6 model 207), AVX-512 and AVX2 against portable over these problems: kernel 1 ulp,
/// betas 3, plan 4, cost gradient 8 (normwise); the bounds are 4 to 8 times those. The
/// potentials and the head's loops (sums of both signs) are compared normwise too. Unbalanced
/// (marginal exponents 0.8, 0.6) measured betas 2, plan 9, cost gradient 6. The log domain's
/// iterates (doubles, each exponential of a float difference) are compared normwise, as floats:
/// measured 1 ulp for b, a and the batch rule's changes, bound 8.
@Suite struct KernelVariantTests {
    static let kernelBound: UInt32 = 4
    static let iterateBound: UInt32 = 32
    static let gradientBound: UInt32 = 64
    static let logBound: UInt32 = 8

    /// Balanced, then unbalanced (both marginal exponents below 1, as tau / (tau + lambda)).
    static let exponentCases: [(source: Float, target: Float)] = [(1, 1), (0.8, 0.6)]

    @Test(arguments: [4, 7], exponentCases.indices)
    func everyAvailableVariantMatchesPortable(columns: Int, exponentCase: Int) {
        let exponents = Self.exponentCases[exponentCase]
        let reference = outputs(.portable, rows: 49, columns: columns, exponents: exponents)
        for variant in KernelVariant.available where variant != .portable {
            let result = outputs(variant, rows: 49, columns: columns, exponents: exponents)
            for (name, values) in result {
                let relative = ["kernel", "beta", "plan"].contains(name)
                let bound = name == "kernel" ? Self.kernelBound : relative ? Self.iterateBound
                    : name.hasPrefix("log") ? Self.logBound : Self.gradientBound
                let distance = relative
                    ? largestUlpDistance(values, reference[name]!) : normwiseUlpDistance(values, reference[name]!)
                #expect(distance <= bound, "\(variant) \(name) m=\(columns) f=\(exponents): \(distance) ulp from portable")
            }
        }
        let fused = KernelVariant.available.filter { $0 != .portable }
        if let first = fused.first {
            let expected = outputs(first, rows: 49, columns: columns, exponents: exponents)
            for variant in fused.dropFirst() {
                #expect(outputs(variant, rows: 49, columns: columns, exponents: exponents) == expected,
                        "\(variant) against \(first), m=\(columns) f=\(exponents)")
            }
        }
    }

    @Test func environmentRequestOnlyLowersTheChoice() {
        let widest = KernelVariant.available[0]
        #expect(KernelVariant.available.last == .portable)
        #expect(KernelVariant.chosen(request: nil) == widest)
        #expect(KernelVariant.chosen(request: "portable") == .portable)
        #expect(KernelVariant.chosen(request: "not-a-variant") == widest)
        for variant in KernelVariant.allCases {
            #expect(KernelVariant.chosen(request: variant.rawValue) == (variant.isSupported ? variant : widest))
        }
    }

    /// A forward of 30 iterations and its unrolled backward through one variant's kernels, in
    /// the kernel domain, and 30 log-domain iterations with their batch-rule changes.
    private func outputs(_ variant: KernelVariant, rows: Int, columns: Int,
                         exponents: (source: Float, target: Float)) -> [String: [Float]] {
        let kernels = variant.transportKernels
        let paddedRows = SinkhornScratch.padded(rows)
        let iterations = 30
        let cost = randomTensor([paddedRows * columns], seed: 91, lower: 0, upper: 2).scalars
        let planBar = randomTensor([paddedRows * columns], seed: 92).scalars
        var kernel = cost, plan = [Float](repeating: 0, count: paddedRows * columns)
        var kernelBar = [Float](repeating: 0, count: paddedRows * columns)
        var mu = [Float](repeating: 1 / Float(rows), count: paddedRows), nu = [Float](repeating: 1 / Float(columns), count: columns)
        for row in rows..<paddedRows { mu[row] = 0 }
        var alpha = [Float](repeating: 0, count: paddedRows), beta = [Float](repeating: 1, count: columns)
        var history = [Float](repeating: 0, count: iterations * columns)
        var inverseU = alpha, alphaBar = alpha, uBar = alpha
        var betaBar = [Float](repeating: 0, count: columns), vBar = betaBar
        let ones = [Float](repeating: 1, count: columns)
        kernels.formKernel(&kernel, count: kernel.count, shift: 0, lambda: 0.1)
        _ = kernels.sinkhorn(kernel: kernel, paddedRows: paddedRows, columns: columns, mu: mu, nu: nu, exponents: exponents,
                             alpha: &alpha, beta: &beta, iterations: 1...iterations, threshold: 0, history: &history)
        kernels.formPlan(kernel: kernel, alpha: alpha, beta: beta, paddedRows: paddedRows, columns: columns, into: &plan)
        kernels.planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta, paddedRows: paddedRows, columns: columns,
                         kernelBar: &kernelBar, alphaBar: &alphaBar, betaBar: &betaBar)
        for iteration in stride(from: iterations, through: 1, by: -1) {
            let previous = iteration == 1 ? ones : Array(history[(iteration - 2) * columns..<(iteration - 1) * columns])
            let current = Array(history[(iteration - 1) * columns..<iteration * columns])
            kernels.recomputeAlpha(kernel: kernel, beta: previous, mu: mu, sourceExponent: exponents.source,
                                   paddedRows: paddedRows, columns: columns, alpha: &alpha, inverseU: &inverseU)
            if iteration < iterations { alphaBar = [Float](repeating: 0, count: paddedRows) }
            for column in 0..<columns {
                let v = kernel.withUnsafeBufferPointer { k in
                    kernels.dot(k.baseAddress! + column * paddedRows, alpha, runs: 1, stride: paddedRows, count: paddedRows)
                }
                vBar[column] = exponents.target == 1 ? -betaBar[column] * current[column] * current[column] / nu[column]
                    : -exponents.target * betaBar[column] * current[column] / v
            }
            kernels.adjointStep(kernel: kernel, mu: mu, previousBeta: previous, vBar: vBar, sourceExponent: exponents.source,
                                paddedRows: paddedRows, columns: columns, alpha: &alpha, inverseU: &inverseU,
                                alphaBar: &alphaBar, uBar: &uBar, kernelBar: &kernelBar, betaBar: &betaBar)
        }
        kernels.multiplyByKernel(&kernelBar, kernel: kernel, count: kernelBar.count, factor: -10)
        var potentials = [Float](repeating: 0, count: rows)
        kernels.logAffine(alpha, count: rows, scale: 0.1, shift: 0.5, into: &potentials)
        return ["kernel": kernel, "beta": history, "plan": plan, "costGradient": kernelBar, "potentials": potentials]
            .merging(headLoops(kernels, count: rows)) { first, _ in first }
            .merging(logDomain(kernels, cost: cost, rows: rows, columns: columns, exponents: exponents)) { first, _ in first }
    }

    /// 30 log-domain iterations on C / lambda (lambda 0.02, past the kernel domain's range) with
    /// every iteration's change recorded, then a from the last b.
    private func logDomain(_ kernels: TransportKernels, cost: [Float], rows: Int, columns: Int,
                           exponents: (source: Float, target: Float)) -> [String: [Float]] {
        let paddedRows = SinkhornScratch.padded(rows)
        let iterations = 30
        let scaledCost = cost.map { $0 / 0.02 }
        var logMu = [Double](repeating: -1e30, count: paddedRows)
        for row in 0..<rows { logMu[row] = -Foundation.log(Double(rows)) }
        let logNu = [Double](repeating: -Foundation.log(Double(columns)), count: columns)
        var logAlpha = logMu.map { $0 == -1e30 ? $0 : 0 }, previous = logAlpha, logBeta = [Double](repeating: 0, count: columns)
        var history = [Float](repeating: 0, count: iterations * columns), changes = [Double](repeating: 0, count: iterations)
        let doubled = (source: Double(exponents.source), target: Double(exponents.target))
        _ = kernels.logSinkhorn(scaledCost: scaledCost, paddedRows: paddedRows, columns: columns, logMu: logMu, logNu: logNu,
                                exponents: doubled, logAlpha: &logAlpha, previousLogAlpha: &previous, logBeta: &logBeta,
                                iterations: 1...iterations, threshold: 0, changes: &changes, logScale: 0.5,
                                history: &history)
        var recomputed = logAlpha
        kernels.updateLogAlpha(scaledCost: scaledCost, logBeta: logBeta, logMu: logMu, exponent: doubled.source,
                               paddedRows: paddedRows, columns: columns, into: &recomputed)
        let alphas = (logAlpha[0..<rows] + recomputed[0..<rows]).map { Float($0) }
        return ["logBeta": history, "logAlpha": alphas, "logChanges": changes.map { Float($0) }]
    }

    /// The multi-proxy head's per-problem loops on one run of `count` floats (a partial last vector).
    private func headLoops(_ kernels: TransportKernels, count: Int) -> [String: [Float]] {
        let similarity = randomTensor([count], seed: 93).scalars, scales = randomTensor([count], seed: 94, lower: 0.5, upper: 2).scalars
        let flow = randomTensor([count], seed: 95, lower: 0, upper: 1).scalars, upstream = randomTensor([count], seed: 96).scalars
        var affine = [Float](repeating: 0, count: count), distance = affine, gradient = affine, terms = flow
        kernels.affine(similarity, 0.7, -0.2, into: &affine, count: count)
        kernels.cosineDistance(similarity, proxyScale: 0.9, vectorScales: scales, into: &distance, count: count)
        let proxyTerm = kernels.similarityGradient(cosineGradient: upstream, similarity: similarity, flow: flow, upstream: 0.3,
                                                   proxyScale: 0.9, vectorScales: scales, vectorTerms: &terms,
                                                   into: &gradient, count: count)
        let score = kernels.dot(similarity, flow, runs: 2, stride: count / 2, count: count / 2)
        return ["affine": affine, "distance": distance, "similarityGradient": gradient + terms + [proxyTerm], "score": [score]]
    }

    /// The largest difference in units in the last place of the largest magnitude in `b`: the
    /// measure for sums of terms of both signs, whose small entries have no relative accuracy.
    private func normwiseUlpDistance(_ a: [Float], _ b: [Float]) -> UInt32 {
        let scale = b.map { abs($0) }.max()?.ulp ?? .leastNormalMagnitude
        return UInt32((zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale)
    }

    /// The largest distance in units in the last place between two arrays of finite floats.
    private func largestUlpDistance(_ a: [Float], _ b: [Float]) -> UInt32 {
        zip(a, b).map { x, y in
            let ordered = { (v: Float) -> Int64 in
                let bits = Int64(v.bitPattern & 0x7fff_ffff)
                return v.sign == .minus ? -bits : bits
            }
            return UInt32(min(Int64(UInt32.max), abs(ordered(x) - ordered(y))))
        }.max() ?? 0
    }
}
