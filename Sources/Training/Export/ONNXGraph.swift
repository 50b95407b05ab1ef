import Foundation
import Interchange
import Tensors

/// Builds one ONNX graph node by node: fresh value names, the model's weights as named
/// initializers (each once, under its state-dict name), constants and attributes. A Loop body
/// is another `ONNXGraph` whose constants become `Constant` nodes inside it.
struct ONNXGraph {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private let prefix: String
    private var counter = 0
    private let weights: [String: Tensor]
    private var emittedWeights: Set<String> = []

    /// `weights`: the state dict the model graph's nodes name.
    init(prefix: String = "", weights: [String: Tensor] = [:]) {
        self.prefix = prefix
        self.weights = weights
    }

    /// A value name not used before in this graph.
    mutating func fresh(_ hint: String) -> String {
        counter += 1
        return "\(prefix)\(hint)_\(counter)"
    }

    /// Appends a node and returns its output names.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: Int = 1, _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        node.output = (0..<outputs).map { _ in fresh(op.lowercased()) }
        node.name = node.output[0]
        node.attribute = attributes
        nodes.append(node)
        return node.output
    }

    /// Copies `value` to a graph output called `name`.
    mutating func identity(_ value: String, named name: String) {
        var node = Onnx_NodeProto()
        node.opType = "Identity"
        node.input = [value]
        node.output = [name]
        node.name = name
        nodes.append(node)
    }

    /// A one-output node.
    mutating func op(_ op: String, _ inputs: String..., attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, attributes)[0]
    }

    /// The initializer holding the state-dict entry `name`, added on first use. The model
    /// graph's interpreter check guarantees every name it reads is in the state dict.
    mutating func weight(_ name: String) -> String {
        if emittedWeights.insert(name).inserted, let value = weights[name] {
            initializers.append(.floats(value.contiguous().scalars, shape: value.shape, name: name))
        }
        return name
    }

    /// The shape of the state-dict entry `name`.
    func weightShape(_ name: String) -> [Int] { weights[name]?.shape ?? [] }

    /// A float constant of the given shape (a scalar for an empty shape).
    mutating func constant(_ values: [Float], shape: [Int] = []) -> String {
        let name = fresh("const")
        initializers.append(.floats(values, shape: shape, name: name))
        return name
    }

    mutating func scalar(_ value: Float) -> String { constant([value]) }

    /// A double scalar, for the batch stopping rule's double-precision sums.
    mutating func double(_ value: Double) -> String {
        let name = fresh("const")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
        tensor.doubleData = [value]
        initializers.append(tensor)
        return name
    }

    /// A 1-D int64 constant (shapes, axes).
    mutating func int64s(_ values: [Int]) -> String {
        let name = fresh("ints")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.dims = [Int64(values.count)]
        tensor.int64Data = values.map(Int64.init)
        initializers.append(tensor)
        return name
    }

    /// An int64 or bool scalar (a Loop's trip count and condition).
    mutating func int64Scalar(_ value: Int) -> String {
        let name = fresh("int")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.int64Data = [Int64(value)]
        initializers.append(tensor)
        return name
    }

    mutating func boolScalar(_ value: Bool) -> String {
        let name = fresh("bool")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.bool.rawValue)
        tensor.int32Data = [value ? 1 : 0]
        initializers.append(tensor)
        return name
    }

    /// This graph as a Loop body: its constants turned into `Constant` nodes in front, so the
    /// body carries no initializers of its own.
    func body(name: String, inputs: [Onnx_ValueInfoProto], outputs: [Onnx_ValueInfoProto]) -> Onnx_GraphProto {
        var graph = Onnx_GraphProto()
        graph.name = name
        graph.node = initializers.map { tensor in
            var node = Onnx_NodeProto()
            node.opType = "Constant"
            node.output = [tensor.name]
            node.name = tensor.name
            var value = tensor
            value.name = ""
            node.attribute = [.tensor("value", value)]
            return node
        } + nodes
        graph.input = inputs
        graph.output = outputs
        return graph
    }
}

extension Onnx_TensorProto {
    static func floats(_ values: [Float], shape: [Int], name: String) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(DataType.float.rawValue)
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = values.withUnsafeBytes { Data($0) }
        return tensor
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    static func tensor(_ name: String, _ value: Onnx_TensorProto) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .tensor
        attribute.t = value
        return attribute
    }

    static func graph(_ name: String, _ value: Onnx_GraphProto) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .graph
        attribute.g = value
        return attribute
    }
}

extension Onnx_ValueInfoProto {
    /// A tensor value of `elementType` with the given dimensions: a number, or a name for a
    /// dynamic one ("batch"); nil dims leave the shape unknown.
    static func tensor(_ name: String, _ elementType: Onnx_TensorProto.DataType, dims: [Dimension]?) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(elementType.rawValue)
        if let dims {
            var shape = Onnx_TensorShapeProto()
            shape.dim = dims.map { dimension in
                var dim = Onnx_TensorShapeProto.Dimension()
                switch dimension {
                case .fixed(let value): dim.dimValue = Int64(value)
                case .named(let name): dim.dimParam = name
                }
                return dim
            }
            tensorType.shape = shape
        }
        info.type.tensorType = tensorType
        return info
    }

    enum Dimension {
        case fixed(Int)
        case named(String)
    }
}
