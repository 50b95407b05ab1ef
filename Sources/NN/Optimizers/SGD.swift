import Kernels
import Tensors

/// Stochastic gradient descent with momentum, exactly as PyTorch's `torch.optim.SGD`:
///
///     g ← ∇ + weightDecay · p           (weight decay added to the gradient)
///     b ← g on the first step, else momentum · b + (1 − dampening) · g
///     g ← g + momentum · b if nesterov, else b
///     p ← p − learningRate · g
///
/// One fused, vectorised pass per parameter. With `decayNormalizationAndBias` off, weight decay
/// skips biases and normalisation scales/shifts (a common refinement; PyTorch decays all).
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public let decayNormalizationAndBias: Bool

    public let parameters: [(name: String, parameter: Parameter)]
    /// Learning-rate multipliers by parameter name (PyTorch's parameter groups with their own
    /// `lr`): a parameter steps with `learningRate * scale`; absent names use 1.
    public var learningRateScales: [String: Float] = [:]
    /// Momentum buffers by parameter name; absent until a parameter's first step.
    public private(set) var momentumBuffers: [String: Tensor] = [:]

    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float, momentum: Float = 0,
                dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0, decayNormalizationAndBias: Bool = true) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and no dampening")
        self.parameters = parameters.filter { $0.parameter.isTrainable }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decayNormalizationAndBias = decayNormalizationAndBias
    }

    /// Every trainable parameter of a model, by state-dict name.
    public convenience init(model: Module, learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
                            weightDecay: Float = 0, decayNormalizationAndBias: Bool = true) {
        self.init(parameters: model.namedParameters(includingBuffers: false), learningRate: learningRate, momentum: momentum,
                  dampening: dampening, nesterov: nesterov, weightDecay: weightDecay, decayNormalizationAndBias: decayNormalizationAndBias)
    }

    /// Updates every parameter that has a gradient, then clears the gradients.
    public func step() {
        for (name, parameter) in parameters {
            guard let gradient = parameter.gradient?.converted(to: parameter.value.format) else { continue }
            let decay = (decayNormalizationAndBias || parameter.role == .weight) ? weightDecay : 0
            update(name: name, parameter: parameter, gradient: gradient, decay: decay,
                   rate: learningRate * (learningRateScales[name] ?? 1))
            parameter.clearGradient()
        }
    }

    public func clearGradients() {
        for (_, parameter) in parameters { parameter.clearGradient() }
    }

    private func update(name: String, parameter: Parameter, gradient: Tensor, decay: Float, rate: Float) {
        let momentum = momentum, dampening = 1 - dampening, nesterov = nesterov
        let count = gradient.count
        let g = gradient.storage.pointer
        if momentum == 0 {
            parameter.value.withUnsafeMutableBufferPointer { p in
                let p = p.baseAddress!
                VectorLoops.zip(p, g, p, count: count) { p, g in p - rate * g.addingProduct(p, FloatVector(repeating: decay)) }
            }
            return
        }
        let isFirstStep = momentumBuffers[name] == nil
        var buffer = momentumBuffers.removeValue(forKey: name) ?? Tensor.zeros(like: gradient)
        buffer.withUnsafeMutableBufferPointer { b in
            parameter.value.withUnsafeMutableBufferPointer { p in
                let b = b.baseAddress!, p = p.baseAddress!
                VectorLoops.chunked(count) { range in
                    var i = range.lowerBound
                    let width = FloatVector.scalarCount
                    while i < range.upperBound {
                        let lanes = min(width, range.upperBound - i)
                        let pv = lanes == width ? VectorLoops.load(p + i) : VectorLoops.loadPartial(p + i, lanes)
                        let gv = (lanes == width ? VectorLoops.load(g + i) : VectorLoops.loadPartial(g + i, lanes))
                            .addingProduct(pv, FloatVector(repeating: decay))
                        let bv0 = lanes == width ? VectorLoops.load(b + i) : VectorLoops.loadPartial(b + i, lanes)
                        let bv = isFirstStep ? gv : (bv0 * momentum).addingProduct(gv, FloatVector(repeating: dampening))
                        let step = nesterov ? gv.addingProduct(bv, FloatVector(repeating: momentum)) : bv
                        let updated = pv.addingProduct(step, FloatVector(repeating: -rate))
                        if lanes == width {
                            VectorLoops.store(bv, b + i)
                            VectorLoops.store(updated, p + i)
                        } else {
                            VectorLoops.storePartial(bv, b + i, lanes)
                            VectorLoops.storePartial(updated, p + i, lanes)
                        }
                        i += width
                    }
                }
            }
        }
        momentumBuffers[name] = buffer
    }

    /// Momentum buffers for checkpoints, under `momentum.<parameter name>`.
    public func stateDict() -> [(name: String, value: Tensor)] {
        parameters.compactMap { name, _ in momentumBuffers[name].map { ("momentum.\(name)", $0.contiguous()) } }
    }

    /// Restores momentum buffers saved by `stateDict()`; unknown names or wrong shapes throw.
    public func load(stateDict: [String: Tensor], source: String? = nil) throws {
        var error = StateDictError(source: source)
        var buffers: [String: Tensor] = [:]
        let shapes = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.parameter) })
        for (key, tensor) in stateDict {
            guard key.hasPrefix("momentum."), let parameter = shapes[String(key.dropFirst("momentum.".count))] else {
                error.unexpected.append(key)
                continue
            }
            guard tensor.shape == parameter.shape else {
                error.mismatched.append((key, parameter.shape, tensor.shape))
                continue
            }
            buffers[String(key.dropFirst("momentum.".count))] = tensor.converted(to: parameter.value.format).detached()
        }
        guard error.isEmpty else { throw error }
        momentumBuffers = buffers
    }
}
