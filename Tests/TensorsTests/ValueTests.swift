import Testing
import Tensors
import TestSupport

/// Forward values against direct scalar computations.
@Suite struct ValueTests {
    @Test func creation() {
        #expect(Tensor.zeros([2, 3]).scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor.ones([4]).scalars == [1, 1, 1, 1])
        #expect(Tensor.full([2], 7).scalars == [7, 7])
        #expect(Tensor.arange(4).scalars == [0, 1, 2, 3])
        #expect(Tensor.arange(from: 1, to: 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor(3).shape == [])
    }

    @Test func seededRandomIsReproducibleAndWellDistributed() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        let x = Tensor.randomNormal([10_000], generator: &a)
        #expect(x.scalars == Tensor.randomNormal([10_000], generator: &b).scalars)
        #expect(abs(x.mean().item) < 0.03)
        #expect(abs(x.variance(axis: 0).item - 1) < 0.05)
        let u = Tensor.randomUniform([10_000], lower: 2, upper: 4, generator: &a)
        #expect(u.scalars.allSatisfy { $0 >= 2 && $0 < 4 })
        #expect(abs(u.mean().item - 3) < 0.03)
        var restored = RandomGenerator(stateWords: a.stateWords)
        #expect(restored.next() == a.next())
    }

    @Test func valueSemantics() {
        let a = Tensor([1, 2, 3], shape: [3])
        var b = a
        b.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [10, 2, 3])
    }

    @Test func broadcastingMatchesScalarLoops() {
        let a = randomTensor([2, 3, 4, 5], seed: 1)
        let b = randomTensor([3, 1, 5], seed: 2)
        let sum = (a + b).scalars, product = (a * b).scalars
        let av = a.scalars, bv = b.scalars
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            let i = ((n * 3 + c) * 4 + h) * 5 + w, j = c * 5 + w
            #expect(sum[i] == av[i] + bv[j])
            #expect(product[i] == av[i] * bv[j])
        } } } }
    }

    @Test func channelsLastRoundTripsAndKeepsElementwiseFormat() {
        let x = randomTensor([2, 3, 4, 5], seed: 3)
        let nhwc = x.converted(to: .channelsLast)
        #expect(nhwc.format == .channelsLast)
        #expect(nhwc.contiguous().scalars == x.scalars)
        #expect(nhwc.withUnsafeBufferPointer { $0[1] } == x.scalars[20])  // (n0, h0, w0, c1)
        let doubled = nhwc * 2 + nhwc
        #expect(doubled.format == .channelsLast)
        #expect(doubled.contiguous().scalars == x.scalars.map { $0 * 2 + $0 })
    }

    @Test func reductionsMatchScalarLoops() {
        let x = randomTensor([3, 4, 5], seed: 4)
        let v = x.scalars
        let sumMiddle = x.sum(axis: 1).scalars
        let sumOuter = x.sum(axes: [0, 2]).scalars
        let maxLast = x.max(axis: 2).scalars
        let argmaxLast = x.argmax(axis: 2).scalars
        for i in 0..<3 { for k in 0..<5 {
            let expected = (0..<4).reduce(Float(0)) { $0 + v[(i * 4 + $1) * 5 + k] }
            #expect(abs(sumMiddle[i * 5 + k] - expected) < 1e-5)
        } }
        for j in 0..<4 {
            var expected: Float = 0
            for i in 0..<3 { for k in 0..<5 { expected += v[(i * 4 + j) * 5 + k] } }
            #expect(abs(sumOuter[j] - expected) < 1e-5)
        }
        for row in 0..<12 {
            let slice = Array(v[row * 5..<(row + 1) * 5])
            #expect(maxLast[row] == slice.max()!)
            #expect(Int(argmaxLast[row]) == slice.firstIndex(of: slice.max()!)!)
        }
        let lse = x.logSumExp(axis: 2).scalars
        for row in 0..<12 {
            let expected = Foundation.log(v[row * 5..<(row + 1) * 5].reduce(Float(0)) { $0 + Foundation.exp($1) })
            #expect(abs(lse[row] - expected) < 1e-5)
        }
        let variance = x.variance(axis: 2, correction: 1).scalars
        for row in 0..<12 {
            let slice = v[row * 5..<(row + 1) * 5]
            let mean = slice.reduce(0, +) / 5
            let expected = slice.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / 4
            #expect(abs(variance[row] - expected) < 1e-5)
        }
    }

    @Test func largeReductionsAreAccurate() {
        let x = Tensor.ones([1_000, 1_000])
        #expect(x.sum().item == 1_000_000)
        #expect(x.sum(axis: 0).scalars.allSatisfy { $0 == 1_000 })
        #expect(x.mean(axis: 1).scalars.allSatisfy { $0 == 1 })
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulMatchesScalarLoops(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (3, 4, 5)
        let a = randomTensor(transposeA ? [k, m] : [m, k], seed: 5)
        let b = randomTensor(transposeB ? [n, k] : [k, n], seed: 6)
        let c = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(c.shape == [m, n])
        let av = a.scalars, bv = b.scalars, cv = c.scalars
        for i in 0..<m { for j in 0..<n {
            var expected: Float = 0
            for p in 0..<k {
                expected += (transposeA ? av[p * m + i] : av[i * k + p]) * (transposeB ? bv[j * k + p] : bv[p * n + j])
            }
            #expect(abs(cv[i * n + j] - expected) < 1e-5)
        } }
    }

    @Test func shapeOpsMoveTheRightElements() {
        let x = Tensor.arange(24).reshaped([2, 3, 4])
        #expect(x.permuted([2, 0, 1]).scalars[1] == 4)  // (k0, i0, j1) = x[0, 1, 0]
        #expect(x.transposed(0, 2).shape == [4, 3, 2])
        #expect(x.transposed().scalars.prefix(3) == [0, 4, 8])
        #expect(x.sliced(axis: 2, 1..<3).scalars == [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
        let joined = Tensor.concatenate([x.sliced(axis: 1, 0..<1), x.sliced(axis: 1, 1..<3)], axis: 1)
        #expect(joined.scalars == x.scalars)
        let stacked = Tensor.stack([Tensor([1, 2], shape: [2]), Tensor([3, 4], shape: [2])], axis: 1)
        #expect(stacked.shape == [2, 2])
        #expect(stacked.scalars == [1, 3, 2, 4])
        #expect(x.reshaped([-1]).shape == [24])
    }

    @Test func softmaxRowsSumToOne() {
        let x = randomTensor([7, 33], seed: 7, lower: -20, upper: 20)
        let y = x.softmax()
        for row in 0..<7 {
            #expect(abs(y.scalars[row * 33..<(row + 1) * 33].reduce(0, +) - 1) < 1e-5)
        }
        let log = x.logSoftmax().exp()
        #expect(relativeError(log, y) < 1e-5)
        let extreme = Tensor([1000, 0, -1000], shape: [1, 3]).softmax().scalars
        #expect(extreme == [1, 0, 0])
    }

    @Test func oneHotAndGather() {
        let hot = Tensor.oneHot([2, 0], classes: 3)
        #expect(hot.scalars == [0, 0, 1, 1, 0, 0])
        let x = Tensor.arange(6).reshaped([2, 3])
        #expect(x.gathering(columns: [2, 1]).scalars == [2, 4])
    }
}

import Foundation
