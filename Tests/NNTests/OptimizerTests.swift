import NN
import Testing
import Tensors

@Suite struct OptimizerTests {
    /// PyTorch's SGD written out in scalars, for one parameter.
    func reference(_ p0: [Float], gradients: [[Float]], lr: Float, momentum: Float, dampening: Float, nesterov: Bool, decay: Float) -> [Float] {
        var p = p0
        var buffer: [Float]?
        for g0 in gradients {
            let g = zip(g0, p).map { $0 + decay * $1 }
            var step = g
            if momentum != 0 {
                buffer = buffer.map { zip($0, g).map { momentum * $0 + (1 - dampening) * $1 } } ?? g
                step = nesterov ? zip(g, buffer!).map { $0 + momentum * $1 } : buffer!
            }
            p = zip(p, step).map { $0 - lr * $1 }
        }
        return p
    }

    @Test(arguments: [(Float(0), Float(0), false, Float(0)), (0.9, 0, false, 5e-4), (0.9, 0, true, 5e-4), (0.5, 0.3, false, 0.01)])
    func sgdMatchesPyTorchsUpdateRule(momentum: Float, dampening: Float, nesterov: Bool, decay: Float) {
        let initial: [Float] = (0..<37).map { Float($0) * 0.1 - 1 }
        let steps: [[Float]] = (0..<3).map { s in (0..<37).map { Float(($0 * 7 + s * 3) % 11) * 0.05 - 0.2 } }
        let parameter = Parameter(Tensor(initial, shape: [37]), role: .weight)
        let sgd = SGD(parameters: [("w", parameter)], learningRate: 0.1, momentum: momentum, dampening: dampening,
                      nesterov: nesterov, weightDecay: decay)
        for g in steps {
            (parameter.value * Tensor(g, shape: [37])).sum().backward()
            sgd.step()
            #expect(parameter.gradient == nil)
        }
        let expected = reference(initial, gradients: steps, lr: 0.1, momentum: momentum, dampening: dampening, nesterov: nesterov, decay: decay)
        for (a, e) in zip(parameter.value.scalars, expected) { #expect(abs(a - e) < 1e-5) }
    }

    /// A parameter group's rate: scale s at rate lr steps exactly as rate s * lr (PyTorch's param groups).
    @Test func learningRateScalesActPerParameter() {
        let initial: [Float] = (0..<19).map { Float($0) * 0.1 - 1 }
        let steps: [[Float]] = (0..<3).map { s in (0..<19).map { Float(($0 * 5 + s) % 7) * 0.1 - 0.3 } }
        let scaled = Parameter(Tensor(initial, shape: [19]), role: .weight)
        let plain = Parameter(Tensor(initial, shape: [19]), role: .weight)
        let sgd = SGD(parameters: [("scaled", scaled), ("plain", plain)], learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
        sgd.learningRateScales = ["scaled": 0.25]
        for g in steps {
            ((scaled.value + plain.value) * Tensor(g, shape: [19])).sum().backward()
            sgd.step()
        }
        let slow = reference(initial, gradients: steps, lr: 0.025, momentum: 0.9, dampening: 0, nesterov: false, decay: 5e-4)
        let fast = reference(initial, gradients: steps, lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, decay: 5e-4)
        for (a, e) in zip(scaled.value.scalars, slow) { #expect(abs(a - e) < 1e-5) }
        for (a, e) in zip(plain.value.scalars, fast) { #expect(abs(a - e) < 1e-5) }
    }

    @Test func noDecayForNormalizationAndBias() {
        let weight = Parameter(Tensor([1], shape: [1]), role: .weight)
        let bias = Parameter(Tensor([1], shape: [1]), role: .bias)
        let gamma = Parameter(Tensor([1], shape: [1]), role: .normalization)
        let sgd = SGD(parameters: [("w", weight), ("b", bias), ("g", gamma)], learningRate: 1, weightDecay: 0.5,
                      decayNormalizationAndBias: false)
        (weight.value + bias.value + gamma.value).sum().backward()
        sgd.step()
        #expect(weight.value.item == -0.5)
        #expect(bias.value.item == 0 && gamma.value.item == 0)
    }

    @Test func momentumStateRoundTrips() throws {
        let parameter = Parameter(Tensor([1, 2], shape: [2]), role: .weight)
        let sgd = SGD(parameters: [("w", parameter)], learningRate: 0.1, momentum: 0.9)
        (parameter.value * 3).sum().backward()
        sgd.step()
        let restored = SGD(parameters: [("w", parameter)], learningRate: 0.1, momentum: 0.9)
        try restored.load(stateDict: Dictionary(uniqueKeysWithValues: sgd.stateDict().map { ($0.name, $0.value) }))
        #expect(restored.momentumBuffers["w"]?.scalars == [3, 3])
        #expect(throws: StateDictError.self) { try restored.load(stateDict: ["momentum.x": Tensor.zeros([2])]) }
    }

    @Test func schedules() {
        let multistep = MultiStepSchedule(base: 0.1, milestones: [100, 150])
        #expect(multistep.learningRate(atEpoch: 99.9) == 0.1)
        #expect(abs(multistep.learningRate(atEpoch: 100) - 0.01) < 1e-9)
        #expect(abs(multistep.learningRate(atEpoch: 199) - 0.001) < 1e-9)
        let cosine = CosineSchedule(base: 0.1, epochs: 10)
        #expect(cosine.learningRate(atEpoch: 0) == 0.1)
        #expect(abs(cosine.learningRate(atEpoch: 5) - 0.05) < 1e-7)
        #expect(cosine.learningRate(atEpoch: 10) < 1e-9)
        let warm = LinearWarmup(epochs: 2, stepsPerEpoch: 10, then: ConstantSchedule(base: 0.4))
        #expect(abs(warm.learningRate(atEpoch: 0) - 0.02) < 1e-7)
        #expect(abs(warm.learningRate(atEpoch: 0.9) - 0.2) < 1e-7)
        #expect(warm.learningRate(atEpoch: 1.95) == 0.4)
        #expect(warm.learningRate(atEpoch: 3) == 0.4)
    }
}
