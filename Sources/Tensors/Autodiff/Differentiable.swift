extension Tensor {
    /// True when this tensor is a leaf that collects gradients or was computed from one.
    public var requiresGradient: Bool { node != nil }

    /// This tensor as a new leaf of the autodiff graph: `backward()` accumulates into its
    /// `gradient`, and `gradients(of:withRespectTo:)` can differentiate with respect to it.
    public func requiringGradient() -> Tensor {
        var leaf = self
        leaf.node = GradientNode(op: "leaf", shape: shape, format: format)
        return leaf
    }

    /// The same values, cut from the autodiff graph.
    public func detached() -> Tensor {
        var result = self
        result.node = nil
        return result
    }

    /// The gradient accumulated by `backward()` calls, for leaves; nil before the first one.
    public var gradient: Tensor? { node?.grad }

    /// Forgets the accumulated gradient (the next `backward()` starts from zero).
    public func clearGradient() {
        node?.grad = nil
    }

    /// Replaces the accumulated gradient of this leaf (data-parallel training puts the sum over
    /// all ranks there before the optimizer step).
    public func setGradient(_ gradient: Tensor) {
        precondition(gradient.shape == shape, "setGradient: shape \(Shape.describe(gradient.shape)) differs from \(Shape.describe(shape))")
        node?.grad = gradient.detached()
    }

    /// Connects `output`, computed from `inputs` by code autodiff does not see, to the graph.
    ///
    /// This is how fused ops with hand-written derivatives join autodiff. `backward` receives the
    /// gradient of the loss with respect to `output` and a flag per input telling whether that
    /// input needs a gradient; it returns one gradient per input, each of that input's shape
    /// (nil where not needed). When no input requires a gradient, or inside `withoutGradients`,
    /// nothing is recorded and `output` is returned as it is.
    public static func differentiable(
        _ op: String, inputs: [Tensor], output: Tensor,
        backward: @escaping (_ gradient: Tensor, _ needsGradient: [Bool]) -> [Tensor?]
    ) -> Tensor {
        guard GradientMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return output.detached() }
        let needs = inputs.map { $0.node != nil }
        var result = output
        result.node = GradientNode(op: op, shape: output.shape, format: output.format,
                                   inputs: inputs.map(\.node)) { gradient in backward(gradient, needs) }
        return result
    }

    /// Single-input form of `differentiable(_:inputs:output:backward:)`.
    @inlinable
    public static func differentiable(_ op: String, input: Tensor, output: Tensor, backward: @escaping (Tensor) -> Tensor) -> Tensor {
        differentiable(op, inputs: [input], output: output) { gradient, _ in [backward(gradient)] }
    }
}
