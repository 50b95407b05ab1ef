import Tensors

/// Compares autodiff gradients with central finite differences.
///
/// The function's output is projected on a fixed random direction r, L(x) = Σ r·f(x), summed in
/// double precision; each input element is moved by ±epsilon and (L(x+ε) − L(x−ε)) / 2ε is
/// compared with the analytic gradient of L. Returns the normwise relative error (see
/// `relativeError`) of each input's gradient.
///
/// Tolerances: with ε = 1e-2 in Float32 the truncation error is O(ε²) ≈ 1e-4 and the rounding
/// error about 1e-7 · |L| / ε ≈ 1e-5 relative, so smooth ops pass at 1e-2 with a wide margin.
/// Inputs must stay ε away from kinks (ReLU at 0, ties of max) for the check to be meaningful.
public func gradientErrors(_ inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 7,
                           _ function: ([Tensor]) -> Tensor) -> [Double] {
    let probe = function(inputs.map { $0.detached() })
    var generator = RandomGenerator(seed: seed)
    let direction = Tensor.randomNormal(probe.shape, generator: &generator)
    let directionValues = direction.scalars.map(Double.init)

    func projected(_ values: [Tensor]) -> Double {
        let output = withoutGradients { function(values) }
        return zip(output.scalars, directionValues).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    }

    let tracked = inputs.map { $0.requiringGradient() }
    let loss = (function(tracked) * direction).sum()
    let analytic = gradients(of: loss, withRespectTo: tracked)

    return inputs.indices.map { index in
        var numeric = [Double](repeating: 0, count: inputs[index].count)
        for element in 0..<inputs[index].count {
            var plus = inputs, minus = inputs
            let plain = inputs[index].contiguous()
            var up = plain.detached(), down = plain.detached()
            up.withUnsafeMutableBufferPointer { $0[element] += epsilon }
            down.withUnsafeMutableBufferPointer { $0[element] -= epsilon }
            plus[index] = up.converted(to: inputs[index].format)
            minus[index] = down.converted(to: inputs[index].format)
            numeric[element] = (projected(plus) - projected(minus)) / (2 * Double(epsilon))
        }
        return relativeError(analytic[index].contiguous().scalars.map(Double.init), numeric)
    }
}

/// A tensor of normal samples whose magnitudes are at least `gap`, keeping finite differences of
/// kinked functions (ReLU, abs, clamp at 0) away from the kink.
public func randomAwayFromZero(_ shape: [Int], gap: Float = 0.1, seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let values = Tensor.randomNormal(shape, generator: &generator).scalars.map { $0 >= 0 ? $0 + gap : $0 - gap }
    return Tensor(values, shape: shape)
}

public func randomTensor(_ shape: [Int], seed: UInt64, lower: Float = -1, upper: Float = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, lower: lower, upper: upper, generator: &generator)
}
