import Foundation

/// The serialised graph: JSON `{"format": "mpw-graph", "version": 1, "values": [{"shape": [...]}],
/// "inputs": [ids], "outputs": [ids], "parameters": {name: shape}, "nodes": [...]}`, documented
/// in docs/model-graph.md. Reading checks the format name and version, and that every node reads
/// only values defined before it.
extension ModelGraph: Codable {
    private enum Keys: String, CodingKey {
        case format, version, values, inputs, outputs, parameters, nodes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Self.formatName, forKey: .format)
        try container.encode(Self.version, forKey: .version)
        try container.encode(values, forKey: .values)
        try container.encode(inputs, forKey: .inputs)
        try container.encode(outputs, forKey: .outputs)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(nodes, forKey: .nodes)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let format = try container.decode(String.self, forKey: .format)
        guard format == Self.formatName else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: container,
                                                   debugDescription: "format is '\(format)', expected '\(Self.formatName)'")
        }
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.version else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container,
                                                   debugDescription: "version \(version) is not supported (this build reads version \(Self.version))")
        }
        self.init(values: try container.decode([GraphValue].self, forKey: .values),
                  inputs: try container.decode([Int].self, forKey: .inputs),
                  outputs: try container.decode([Int].self, forKey: .outputs),
                  nodes: try container.decode([GraphNode].self, forKey: .nodes),
                  parameters: try container.decode([String: [Int]].self, forKey: .parameters))
    }

    /// The JSON form, keys sorted so equal graphs give equal bytes; non-finite floats (an exact
    /// marginal's τ) are written as the strings "inf", "-inf", "nan".
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads the JSON form; `source` names the file in the error. The error is one line.
    public init(json data: Data, source: String = "graph") throws(GraphFormatError) {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            self = try decoder.decode(ModelGraph.self, from: data)
        } catch let error as DecodingError {
            throw GraphFormatError(source: source, reason: Self.describe(error))
        } catch {
            throw GraphFormatError(source: source, reason: "\(error)")
        }
        if let problem = structuralProblem { throw GraphFormatError(source: source, reason: problem) }
    }

    /// The first way the graph breaks its own rules (ids out of range, a value read before it is
    /// written or written twice, a weight without a shape), or nil.
    public var structuralProblem: String? {
        var defined = Set(inputs)
        for id in inputs + outputs where !values.indices.contains(id) { return "value \(id) does not exist (\(values.count) values)" }
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where !defined.contains(input) {
                return "node \(index) (\(node.operation.kind) at '\(node.module)') reads value \(input) before it is written"
            }
            guard values.indices.contains(node.output), defined.insert(node.output).inserted else {
                return "node \(index) (\(node.operation.kind) at '\(node.module)') writes value \(node.output), which is missing or already written"
            }
            for name in node.operation.parameterNames where parameters[name] == nil {
                return "node \(index) (\(node.operation.kind) at '\(node.module)') reads weight '\(name)', which has no shape in parameters"
            }
        }
        for id in outputs where !defined.contains(id) { return "output value \(id) is never written" }
        return nil
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at " + keys.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)'" + path(context)
        case .typeMismatch(let type, let context): return "expected \(type)" + path(context)
        case .valueNotFound(let type, let context): return "missing \(type)" + path(context)
        @unknown default: return "\(error)"
        }
    }
}

/// A serialised graph that cannot be read: one line naming the source and the reason.
public struct GraphFormatError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let reason: String

    public var description: String { "\(source): not a readable \(ModelGraph.formatName) graph: \(reason)" }
}
