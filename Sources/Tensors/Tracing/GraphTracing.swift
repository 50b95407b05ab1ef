import ModelGraph

/// How the ops of the graph op set report themselves to an active `GraphRecorder`.
///
/// A value's identity is its autodiff node: every traced op hands back its result as a fresh
/// autodiff leaf bound to the new graph value, and any other op that reads it (with gradients
/// recorded, as a capture runs) makes a new node under the op's own name, unknown to the
/// recorder. That is how an op outside the set is caught and named.
extension Tensor {
    /// Runs `compute` and, while a capture is recording, records its result as `record`'s node:
    /// `record` gets the recorder, the graph values of `inputs` and the result, may append
    /// intermediate nodes itself (a batch norm's fused ReLU), and returns the final op and its
    /// operands. Nothing inside `compute` is recorded: it is the op's implementation, and it runs
    /// without the autodiff record, exactly as in an evaluation pass.
    public static func traced(_ inputs: [Tensor], module: AnyObject? = nil, compute: () -> Tensor,
                              record: (_ recorder: GraphRecorder, _ inputs: [Int], _ result: Tensor) -> (GraphOperation, [Int])) -> Tensor {
        guard let recorder = GraphRecorder.current, recorder.isRecording else { return compute() }
        let operands = inputs.map { recorder.value(of: $0.node, producer: $0.node?.op, shape: $0.shape) }
        recorder.suspend()
        let result = withoutGradients(compute)
        recorder.resume()
        let (operation, finalOperands) = record(recorder, operands, result)
        let output = recorder.newValue(shape: result.shape)
        recorder.append(operation, inputs: finalOperands, output: output, module: module)
        let traced = result.detached().requiringGradient()
        if let node = traced.node { recorder.bind(node, to: output) }
        return traced
    }

    /// `traced` for a single op reading `inputs` in order.
    public static func traced(_ operation: @autoclosure () -> GraphOperation, _ inputs: [Tensor], module: AnyObject? = nil,
                              compute: () -> Tensor) -> Tensor {
        traced(inputs, module: module, compute: compute) { _, operands, _ in (operation(), operands) }
    }

    /// `result`, a copy of this tensor in another memory format, as the same graph value.
    func tracedAlias(_ result: Tensor) -> Tensor {
        guard let recorder = GraphRecorder.current, recorder.isRecording, let node else { return result }
        let value = recorder.value(of: node, producer: node.op, shape: shape)
        let aliased = result.node == nil ? result.requiringGradient() : result
        if let aliasNode = aliased.node { recorder.bind(aliasNode, to: value) }
        return aliased
    }

    /// Runs `body`, the forward pass of `module`, as a scope of the capture: nodes without a
    /// module of their own are attributed to it, and an untraceable result is reported under its
    /// path. Containers (`Sequential`) call this around each child.
    public static func tracingScope(_ module: AnyObject, _ body: () -> Tensor) -> Tensor {
        guard let recorder = GraphRecorder.current, recorder.isRecording else { return body() }
        recorder.enterScope(module)
        defer { recorder.exitScope() }
        let result = body()
        _ = recorder.value(of: result.node, producer: result.node?.op, shape: result.shape)
        return result
    }

    /// Declares this tensor the input of a capture.
    public func tracedInput(_ recorder: GraphRecorder) -> (tensor: Tensor, value: Int) {
        let leaf = detached().requiringGradient()
        return (leaf, recorder.addInput(identity: leaf.node!, shape: shape))
    }

    /// The graph value of this tensor, an output of a capture (untraceable if no graph op made it).
    public func tracedOutput(_ recorder: GraphRecorder) -> Int {
        recorder.value(of: node, producer: node?.op, shape: shape)
    }
}

extension GraphRecorder {
    /// Runs `body` with this recorder active and the autodiff record on (even inside
    /// `withoutGradients`): every op outside the set then leaves a named node behind.
    public func recording<R>(_ body: () throws -> R) rethrows -> R {
        try GraphRecorder.$current.withValue(self) {
            try GradientMode.$isEnabled.withValue(true, operation: body)
        }
    }
}
