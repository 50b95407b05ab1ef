extension ModelGraph {
    /// The same graph with only the values it uses, numbered inputs first, then node outputs in
    /// node order: the canonical form capture returns, so equal models give equal graphs.
    public func renumbered() -> ModelGraph {
        var mapping: [Int: Int] = [:]
        var kept: [GraphValue] = []
        func map(_ id: Int) -> Int {
            if let known = mapping[id] { return known }
            mapping[id] = kept.count
            kept.append(values[id])
            return kept.count - 1
        }
        let newInputs = inputs.map(map)
        let newNodes = nodes.map { node in
            GraphNode(operation: node.operation, inputs: node.inputs.map(map), output: map(node.output), module: node.module)
        }
        return ModelGraph(values: kept, inputs: newInputs, outputs: outputs.map(map), nodes: newNodes, parameters: parameters)
    }
}
