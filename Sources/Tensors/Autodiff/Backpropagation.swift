import Kernels

extension Tensor {
    /// Back-propagates from this tensor and accumulates into the `gradient` of every leaf it
    /// depends on. The seed defaults to 1, so the tensor must then hold one element (a loss).
    /// The graph is freed afterwards unless `retainGraph` is set.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false) {
        guard let root = node else { preconditionFailure("backward: the tensor does not require a gradient") }
        let start = seed ?? Backpropagation.unitSeed(for: self)
        Backpropagation.run(from: root, seed: start, retainGraph: retainGraph, capturing: []) { leaf, gradient in
            leaf.grad = leaf.grad.map { $0 + gradient } ?? gradient
        }
    }

    /// `backward` that hands each leaf's accumulated gradient to `gradientIsFinal`, with the
    /// leaf's `leafIdentifier`, as soon as the last op using that leaf has run its backward, while
    /// the rest of the pass is still to come (data-parallel training starts reducing a layer's
    /// gradients there). The gradients are the same as `backward`'s, bit for bit.
    public func backward(seed: Tensor? = nil, gradientIsFinal: (ObjectIdentifier, Tensor) -> Void) {
        guard let root = node else { preconditionFailure("backward: the tensor does not require a gradient") }
        let start = seed ?? Backpropagation.unitSeed(for: self)
        Backpropagation.run(from: root, seed: start, retainGraph: false, capturing: [], eagerLeaves: true) { leaf, gradient in
            let total = leaf.grad.map { $0 + gradient } ?? gradient
            leaf.grad = total
            gradientIsFinal(ObjectIdentifier(leaf), total)
        }
    }

    /// The identity `backward(seed:gradientIsFinal:)` reports this leaf's gradient under; nil for
    /// tensors outside the autodiff graph.
    public var leafIdentifier: ObjectIdentifier? { node.map(ObjectIdentifier.init) }
}

/// d(output)/d(each of `inputs`), with output holding one element unless `seed` is given. Leaves'
/// accumulated gradients are left untouched. An input the output does not depend on gets zeros.
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil, retainGraph: Bool = false) -> [Tensor] {
    guard let root = output.node else { preconditionFailure("gradients(of:): the output does not depend on any tensor requiring a gradient") }
    let wanted = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
    let start = seed ?? Backpropagation.unitSeed(for: output)
    let captured = Backpropagation.run(from: root, seed: start, retainGraph: retainGraph, capturing: wanted) { _, _ in }
    return inputs.map { input in
        input.node.flatMap { captured[ObjectIdentifier($0)] } ?? Tensor.zeros(input.shape, format: input.format)
    }
}

/// The value of `body` and its gradient with respect to `inputs`, in one call.
public func valueWithGradients(at inputs: [Tensor], of body: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let tracked = inputs.map { $0.requiringGradient() }
    let value = body(tracked)
    guard value.requiresGradient else { return (value, inputs.map { Tensor.zeros($0.shape, format: $0.format) }) }
    return (value.detached(), gradients(of: value, withRespectTo: tracked))
}

enum Backpropagation {
    static func unitSeed(for output: Tensor) -> Tensor {
        precondition(output.count == 1, "backward: needs a seed for a non-scalar output of shape \(Shape.describe(output.shape))")
        return Tensor.ones(output.shape)
    }

    /// Walks the graph below `root` in reverse creation order, handing each leaf its gradient.
    /// Returns the gradients reaching the nodes in `capturing`. With `eagerLeaves`, a leaf gets its
    /// gradient as soon as every op using it has run its backward, instead of at its own place in
    /// the order (leaves, created before the forward pass, would otherwise all come last).
    @discardableResult
    static func run(
        from root: GradientNode, seed: Tensor, retainGraph: Bool, capturing: Set<ObjectIdentifier>, eagerLeaves: Bool = false,
        leaf: (GradientNode, Tensor) -> Void
    ) -> [ObjectIdentifier: Tensor] {
        precondition(seed.shape == root.shape,
                     "backward: seed shape \(Shape.describe(seed.shape)) differs from output shape \(Shape.describe(root.shape))")
        var order: [GradientNode] = []
        var seen = Set<ObjectIdentifier>()
        var stack = [root]
        while let node = stack.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            order.append(node)
            for case let input? in node.inputs { stack.append(input) }
        }
        order.sort { $0.id > $1.id }

        // Eager leaves: how many edges from ops still to run point at each leaf.
        var consumers: [ObjectIdentifier: Int] = [:]
        if eagerLeaves {
            for node in order {
                for case let input? in node.inputs where input.backward == nil { consumers[ObjectIdentifier(input), default: 0] += 1 }
            }
        }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): conform(seed, to: root)]
        var captured: [ObjectIdentifier: Tensor] = [:]
        func consumed(_ inputs: [GradientNode?]) {
            guard eagerLeaves else { return }
            for case let input? in inputs where input.backward == nil {
                let inputKey = ObjectIdentifier(input)
                guard let remaining = consumers[inputKey] else { continue }
                if remaining > 1 {
                    consumers[inputKey] = remaining - 1
                    continue
                }
                consumers[inputKey] = nil
                if let gradient = pending.removeValue(forKey: inputKey) { leaf(input, gradient) }
            }
        }
        for node in order {
            let key = ObjectIdentifier(node)
            guard let gradient = pending.removeValue(forKey: key) else {
                consumed(node.inputs)
                continue
            }
            if capturing.contains(key) { captured[key] = gradient }
            precondition(!node.isReleased,
                         "backward: the graph through \(node.op) was already freed by an earlier backward pass; pass retainGraph: true to reuse it")
            guard let backward = node.backward else {
                leaf(node, gradient)
                continue
            }
            let inputGradients = withoutGradients { backward(gradient) }
            precondition(inputGradients.count == node.inputs.count,
                         "backward of \(node.op): returned \(inputGradients.count) gradients for \(node.inputs.count) inputs")
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard let input, let inputGradient else { continue }
                precondition(inputGradient.shape == input.shape,
                             "backward of \(node.op): gradient shape \(Shape.describe(inputGradient.shape)) differs from input shape \(Shape.describe(input.shape))")
                let conformed = conform(inputGradient, to: input)
                let inputKey = ObjectIdentifier(input)
                if var existing = pending.removeValue(forKey: inputKey) {
                    existing.addInPlace(conformed)
                    pending[inputKey] = existing
                } else {
                    pending[inputKey] = conformed
                }
            }
            consumed(node.inputs)
            if !retainGraph {
                node.backward = nil
                node.inputs = []
                node.isReleased = true
            }
        }
        return captured
    }

    /// Gradients travel in the memory format of the value they belong to.
    private static func conform(_ gradient: Tensor, to node: GradientNode) -> Tensor {
        let plain = gradient.detached()
        return plain.format == node.format ? plain : plain.converted(to: node.format)
    }
}
