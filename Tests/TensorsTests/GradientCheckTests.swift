import Testing
import Tensors
import TestSupport

/// Finite-difference checks of every differentiable op (tolerances: see `gradientErrors`).
@Suite struct GradientCheckTests {
    static let tolerance = 1e-2

    func expectGradients(_ inputs: [Tensor], epsilon: Float = 1e-2, _ f: ([Tensor]) -> Tensor,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, error) in gradientErrors(inputs, epsilon: epsilon, f).enumerated() {
            #expect(error < Self.tolerance, "input \(index): relative error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func unaryOps() {
        let x = randomAwayFromZero([3, 5], seed: 1)
        let positive = randomTensor([3, 5], seed: 2, lower: 0.5, upper: 2)
        expectGradients([x]) { -$0[0] }
        expectGradients([x]) { $0[0].exp() }
        expectGradients([positive]) { $0[0].log() }
        expectGradients([positive]) { $0[0].sqrt() }
        expectGradients([positive]) { $0[0].rsqrt() }
        expectGradients([x]) { $0[0].abs() }
        expectGradients([x]) { $0[0].relu() }
        expectGradients([x]) { $0[0].sigmoid() }
        expectGradients([x]) { $0[0].tanh() }
        expectGradients([x]) { $0[0].squared() }
        expectGradients([x]) { $0[0].clamped(lower: -0.55, upper: 0.65) }
        expectGradients([positive]) { $0[0].pow(2.5) }
        expectGradients([x]) { $0[0].pow(3) }
    }

    @Test func broadcastingBinaryOps() {
        let a = randomTensor([2, 3, 4], seed: 3)
        let row = randomTensor([4], seed: 4, lower: 0.5, upper: 1.5)
        let column = randomTensor([2, 1, 4], seed: 5, lower: 0.5, upper: 1.5)
        expectGradients([a, row]) { $0[0] + $0[1] }
        expectGradients([a, column]) { $0[0] - $0[1] }
        expectGradients([a, row]) { $0[0] * $0[1] }
        expectGradients([a, column]) { $0[0] / $0[1] }
        expectGradients([column, randomTensor([2, 3, 4], seed: 20, lower: 0.5, upper: 1.5)]) { $0[0] / $0[1] }
        expectGradients([a, randomTensor([2, 3, 4], seed: 6)]) { Tensor.maximum($0[0], $0[1]) }
        expectGradients([a, randomTensor([3, 1], seed: 7)]) { Tensor.minimum($0[0], $0[1]) }
        expectGradients([column, randomTensor([3, 4], seed: 8)]) { Tensor.pow($0[0], $0[1]) }
        expectGradients([a]) { 2 - $0[0] * 3 + 1 }
        expectGradients([column]) { 1.5 / $0[0] }
    }

    @Test func reductions() {
        let x = randomTensor([2, 3, 4], seed: 9)
        expectGradients([x]) { $0[0].sum() }
        expectGradients([x]) { $0[0].sum(axes: [0, 2]) }
        expectGradients([x]) { $0[0].sum(axis: 1, keepDims: true) }
        expectGradients([x]) { $0[0].mean(axes: [1, 2]) }
        expectGradients([x]) { $0[0].max(axis: 2) }
        expectGradients([x]) { $0[0].max(axes: [0, 2], keepDims: true) }
        expectGradients([x]) { $0[0].logSumExp(axis: 1) }
        expectGradients([x]) { $0[0].logSumExp(axes: [0, 2]) }
        expectGradients([x]) { $0[0].variance(axis: 2) }
        expectGradients([x]) { $0[0].variance(axes: [0, 2], correction: 0, keepDims: true) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) {
        let a = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 10)
        let b = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 11)
        expectGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        let batchA = randomTensor(transposeA ? [2, 4, 3] : [2, 3, 4], seed: 12)
        let batchB = randomTensor(transposeB ? [2, 5, 4] : [2, 4, 5], seed: 13)
        expectGradients([batchA, batchB]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        expectGradients([batchA, b]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        expectGradients([a, batchB]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
    }

    @Test func softmaxAndLosses() {
        let x = randomTensor([4, 6], seed: 14, lower: -2, upper: 2)
        expectGradients([x]) { $0[0].softmax() }
        expectGradients([x]) { $0[0].softmax(axis: 0) }
        expectGradients([x]) { $0[0].logSoftmax() }
        expectGradients([x]) { $0[0].logSoftmax(axis: 0) }
        let labels: [Int32] = [0, 5, 2, 2]
        expectGradients([x]) { Tensor.crossEntropy(logits: $0[0], labels: labels) }
        expectGradients([x]) { Tensor.crossEntropy(logits: $0[0], labels: labels, labelSmoothing: 0.2) }
        let targets = randomTensor([4, 6], seed: 15, lower: 0, upper: 1).softmax()
        expectGradients([x]) { Tensor.crossEntropy(logits: $0[0], targets: targets) }
        expectGradients([x]) { $0[0].gathering(columns: labels) }
    }

    @Test func shapeOps() {
        let x = randomTensor([2, 3, 4], seed: 16)
        expectGradients([x]) { $0[0].reshaped([4, -1]) }
        expectGradients([x]) { $0[0].permuted([2, 0, 1]) }
        expectGradients([x]) { $0[0].transposed() }
        expectGradients([x]) { $0[0].sliced(axis: 1, 1..<3) }
        expectGradients([x]) { $0[0].flattened() }
        expectGradients([x]) { $0[0].expandingShape(at: 1).squeezed() }
        expectGradients([randomTensor([3, 1], seed: 17)]) { $0[0].expanded(to: [2, 3, 4]) }
        let y = randomTensor([2, 2, 4], seed: 18)
        expectGradients([x, y]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        expectGradients([x, x * 2]) { Tensor.stack([$0[0], $0[1]], axis: 1) }
        let image = randomTensor([2, 3, 2, 5], seed: 19)
        expectGradients([image]) { $0[0].converted(to: .channelsLast) * 2 }
        expectGradients([image.converted(to: .channelsLast)]) { $0[0].contiguous().sum(axes: [0, 2]) }
    }
}
