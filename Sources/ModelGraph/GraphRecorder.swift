import Foundation

/// Records a forward pass as a `ModelGraph` while it runs.
///
/// The recorder is task-local (`GraphRecorder.current`), not a global: a capture sees only the
/// ops of the task that runs it, and ops cost one task-local read when no capture is active.
/// Each op of the set calls back into the recorder through `Tensor.traced(...)` (the Tensors
/// library): the op's inputs are looked up by the identity of their tensors, its output gets a
/// fresh identity bound to a new value. Ops that run inside a recorded op are its implementation
/// and are not recorded (`isRecording` is false while it runs).
///
/// Ops outside the set do not call the recorder, so their results have identities it has never
/// seen. Such a value is recorded as *untraceable*, with the name of the op that made it (its
/// autodiff record) and the module path it appeared in; `finish` fails with that name if the
/// value feeds an output. So a capture yields the model's exact graph or a one-line error, never
/// a graph that silently differs from the forward pass.
public final class GraphRecorder: @unchecked Sendable {
    @TaskLocal public static var current: GraphRecorder?

    private struct State {
        var values: [GraphValue] = []
        var nodes: [GraphNode] = []
        var inputs: [Int] = []
        var valueOfIdentity: [ObjectIdentifier: Int] = [:]
        /// Keeps every identity seen alive, so no identifier is reused during the capture.
        var retained: [AnyObject] = []
        /// Untraceable values: what made them and where.
        var untraceable: [Int: String] = [:]
        var parameters: [String: [Int]] = [:]
        var suspended = 0
        var scopes: [String] = []
        var failures: [String] = []
    }

    private let modulePaths: [ObjectIdentifier: String]
    private let parameterNames: [ObjectIdentifier: (name: String, shape: [Int])]
    /// Guarded by `lock`: the recorder holds identities of non-Sendable tensors.
    private var recorded = State()
    private let lock = NSLock()

    /// `modulePaths`: the dotted path of every module of the model by identity; `parameters`:
    /// the state-dict name and shape of every parameter and buffer, by identity of its holder.
    public init(modulePaths: [ObjectIdentifier: String], parameters: [ObjectIdentifier: (name: String, shape: [Int])]) {
        self.modulePaths = modulePaths
        parameterNames = parameters
    }

    /// False while a recorded op computes its result.
    public var isRecording: Bool { withState { $0.suspended == 0 } }

    /// Stops recording until the matching `resume()` (around a recorded op's implementation).
    public func suspend() { withState { $0.suspended += 1 } }

    public func resume() { withState { $0.suspended -= 1 } }

    /// Declares a graph input whose tensor has `identity`.
    public func addInput(identity: AnyObject, shape: [Int]) -> Int {
        withState { state in
            let id = Self.newValue(&state, shape: shape)
            Self.bind(&state, identity, to: id)
            state.inputs.append(id)
            return id
        }
    }

    /// The value of a tensor an op reads: the recorded one, or a new untraceable value naming
    /// `producer` (the autodiff op that made it; nil when it has no autodiff record).
    public func value(of identity: AnyObject?, producer: String?, shape: [Int]) -> Int {
        withState { state in
            if let identity, let id = state.valueOfIdentity[ObjectIdentifier(identity)] { return id }
            let id = Self.newValue(&state, shape: shape)
            let location = state.scopes.last.map { " in module '\($0)'" } ?? ""
            state.untraceable[id] = if let producer, producer != "leaf" {
                "op '\(producer)'\(location) is outside the graph op set"
            } else {
                "a tensor\(location) that no graph op produced (a constant, a parameter read outside its layer, or an op without autodiff record)"
            }
            if let identity { Self.bind(&state, identity, to: id) }
            return id
        }
    }

    /// A new value of `shape` (an op's output, or an intermediate of a recorded op chain).
    public func newValue(shape: [Int]) -> Int {
        withState { Self.newValue(&$0, shape: shape) }
    }

    /// Makes the tensor of `identity` stand for `value` (an op's result, or a copy in another
    /// memory format).
    public func bind(_ identity: AnyObject, to value: Int) {
        withState { Self.bind(&$0, identity, to: value) }
    }

    /// Appends a node; `module` is the module that ran it (the innermost scope when nil).
    public func append(_ operation: GraphOperation, inputs: [Int], output: Int, module: AnyObject?) {
        let path = module.flatMap { modulePaths[ObjectIdentifier($0)] }
        withState { state in
            state.nodes.append(GraphNode(operation: operation, inputs: inputs, output: output,
                                         module: path ?? state.scopes.last ?? ""))
        }
    }

    /// The state-dict name of a parameter a recorded op reads, given the object holding it;
    /// a parameter outside the model's state dict fails the capture.
    public func name(of parameter: AnyObject, module: AnyObject?) -> String {
        if let entry = parameterNames[ObjectIdentifier(parameter)] {
            withState { $0.parameters[entry.name] = entry.shape }
            return entry.name
        }
        let path = module.flatMap { modulePaths[ObjectIdentifier($0)] } ?? "?"
        withState { $0.failures.append("module '\(path)' reads a parameter that is not in the model's state dict") }
        return "?"
    }

    /// The path of `module` in the model, when it belongs to it.
    public func path(of module: AnyObject) -> String? {
        modulePaths[ObjectIdentifier(module)]
    }

    /// Enters the forward pass of `module` (containers call this around their children).
    public func enterScope(_ module: AnyObject) {
        let path = modulePaths[ObjectIdentifier(module)]
        withState { $0.scopes.append(path ?? $0.scopes.last ?? "") }
    }

    public func exitScope() {
        withState { _ = $0.scopes.popLast() }
    }

    /// The recorded graph with the given output values, pruned to the nodes the outputs depend
    /// on; throws if an output depends on an untraceable value or a parameter failed to resolve.
    public func finish(outputs: [Int]) throws(GraphCaptureError) -> ModelGraph {
        let state = withState { $0 }
        if let failure = state.failures.first { throw GraphCaptureError(failure) }
        let producer = Dictionary(state.nodes.enumerated().map { ($1.output, $0) }, uniquingKeysWith: { first, _ in first })
        var needed = Set<Int>()
        var pending = outputs
        while let value = pending.popLast() {
            guard let index = producer[value] else { continue }
            guard needed.insert(index).inserted else { continue }
            let node = state.nodes[index]
            for input in node.inputs {
                if let reason = state.untraceable[input] {
                    throw GraphCaptureError("\(reason); its result feeds \(node.operation.kind) at '\(node.module)'")
                }
                pending.append(input)
            }
        }
        for output in outputs {
            if let reason = state.untraceable[output] { throw GraphCaptureError("\(reason); its result is the model's output") }
        }
        let kept = state.nodes.indices.filter(needed.contains).map { state.nodes[$0] }
        let used = Set(kept.flatMap(\.operation.parameterNames))
        return ModelGraph(values: state.values, inputs: state.inputs, outputs: outputs, nodes: kept,
                          parameters: state.parameters.filter { used.contains($0.key) }).renumbered()
    }

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&recorded)
    }

    private static func newValue(_ state: inout State, shape: [Int]) -> Int {
        state.values.append(GraphValue(shape: shape))
        return state.values.count - 1
    }

    private static func bind(_ state: inout State, _ identity: AnyObject, to value: Int) {
        state.valueOfIdentity[ObjectIdentifier(identity)] = value
        state.retained.append(identity)
    }
}
