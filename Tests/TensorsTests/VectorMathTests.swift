import Foundation
import Kernels
import Testing

/// The SIMD transcendental functions against the C library, over their whole useful range.
@Suite struct VectorMathTests {
    func sweep(_ lower: Float, _ upper: Float, count: Int = 20_000) -> [Float] {
        (0..<count).map { lower + (upper - lower) * Float($0) / Float(count - 1) }
    }

    func maximumRelativeError(_ inputs: [Float], _ vector: (FloatVector) -> FloatVector, _ reference: (Double) -> Double) -> Double {
        var worst = 0.0
        for start in stride(from: 0, to: inputs.count, by: 16) {
            var lanes = FloatVector()
            for lane in 0..<16 { lanes[lane] = inputs[min(start + lane, inputs.count - 1)] }
            let result = vector(lanes)
            for lane in 0..<16 {
                let expected = reference(Double(lanes[lane]))
                let error = abs(Double(result[lane]) - expected) / max(abs(expected), 1e-30)
                worst = max(worst, error)
            }
        }
        return worst
    }

    @Test func exp() {
        #expect(maximumRelativeError(sweep(-87, 88), VectorMath.exp, Foundation.exp) < 4e-7)
        #expect(VectorMath.exp(FloatVector(repeating: 0))[0] == 1)
        #expect(VectorMath.exp(FloatVector(repeating: -200))[0] == 0)
        #expect(VectorMath.exp(FloatVector(repeating: 100))[0] == .infinity)
        #expect(VectorMath.exp(FloatVector(repeating: .nan))[0].isNaN)
    }

    @Test func log() {
        #expect(maximumRelativeError(sweep(1e-30, 10), VectorMath.log, Foundation.log) < 4e-7)
        #expect(maximumRelativeError(sweep(10, 3e38), VectorMath.log, Foundation.log) < 4e-7)
        #expect(maximumRelativeError(sweep(0.5, 2), VectorMath.log, Foundation.log) < 4e-7)
        #expect(VectorMath.log(FloatVector(repeating: 0))[0] == -.infinity)
        #expect(VectorMath.log(FloatVector(repeating: -1))[0].isNaN)
        let subnormal = Float.leastNormalMagnitude / 1000
        #expect(abs(VectorMath.log(FloatVector(repeating: subnormal))[0] - Float(Foundation.log(Double(subnormal)))) < 1e-4)
    }

    @Test func tanhAndSigmoid() {
        #expect(maximumRelativeError(sweep(-9, 9), VectorMath.tanh, Foundation.tanh) < 1e-6)
        #expect(maximumRelativeError(sweep(-1e-3, 1e-3, count: 999), VectorMath.tanh, Foundation.tanh) < 1e-6)
        #expect(maximumRelativeError(sweep(-30, 30), VectorMath.sigmoid) { 1 / (1 + Foundation.exp(-$0)) } < 1e-6)
    }

    @Test func pow() {
        let x = FloatVector(repeating: -2), y = FloatVector(repeating: 3)
        #expect(VectorMath.pow(x, y)[0] == -8)
        #expect(VectorMath.pow(x, FloatVector(repeating: 2))[0] == 4)
        #expect(VectorMath.pow(x, FloatVector(repeating: 0.5))[0].isNaN)
        #expect(VectorMath.pow(FloatVector(repeating: 0), FloatVector(repeating: 0))[0] == 1)
        #expect(abs(VectorMath.pow(FloatVector(repeating: 2), FloatVector(repeating: 0.5))[0] - 1.4142135) < 1e-6)
    }
}
