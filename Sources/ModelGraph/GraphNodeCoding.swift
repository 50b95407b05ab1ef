/// A node's serialised form: `{"op": kind, "inputs": [...], "output": id, "module": path,
/// "attributes": {...}}`, the attributes being the op's settings (absent for ops without any).
extension GraphNode: Codable {
    private enum Keys: String, CodingKey {
        case op, inputs, output, module, attributes
    }

    private struct Channels: Codable {
        var channels: Int
    }

    private struct Scale: Codable {
        var scale: Float
    }

    /// The multi-proxy op's attributes: the flow as a word, its transport beside it.
    private struct MultiProxyAttributes: Codable {
        var proxies: String
        var bias: String?
        var flow: String
        var transport: GraphOperation.Transport?
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(operation.kind, forKey: .op)
        try container.encode(inputs, forKey: .inputs)
        try container.encode(output, forKey: .output)
        try container.encode(module, forKey: .module)
        switch operation {
        case .convolution(let attributes): try container.encode(attributes, forKey: .attributes)
        case .batchNorm(let attributes): try container.encode(attributes, forKey: .attributes)
        case .averagePool(let attributes), .maxPool(let attributes): try container.encode(attributes, forKey: .attributes)
        case .linear(let attributes): try container.encode(attributes, forKey: .attributes)
        case .multiFCAverage(let attributes): try container.encode(attributes, forKey: .attributes)
        case .zeroPadChannels(let channels): try container.encode(Channels(channels: channels), forKey: .attributes)
        case .attentionPooling(let scale): try container.encode(Scale(scale: scale), forKey: .attributes)
        case .multiProxy(let head):
            let attributes: MultiProxyAttributes = switch head.flow {
            case .wasserstein(let transport): MultiProxyAttributes(proxies: head.proxies, bias: head.bias, flow: "wasserstein", transport: transport)
            case .cosine: MultiProxyAttributes(proxies: head.proxies, bias: head.bias, flow: "cosine")
            case .uniform: MultiProxyAttributes(proxies: head.proxies, bias: head.bias, flow: "uniform")
            }
            try container.encode(attributes, forKey: .attributes)
        case .relu, .add, .concatenateChannels, .globalAveragePool, .flatten, .bilinearPooling: break
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        inputs = try container.decode([Int].self, forKey: .inputs)
        output = try container.decode(Int.self, forKey: .output)
        module = try container.decode(String.self, forKey: .module)
        func attributes<T: Decodable>(_ type: T.Type) throws -> T { try container.decode(type, forKey: .attributes) }
        let kind = try container.decode(String.self, forKey: .op)
        switch kind {
        case "convolution": operation = .convolution(try attributes(GraphOperation.Convolution.self))
        case "batch_norm": operation = .batchNorm(try attributes(GraphOperation.BatchNorm.self))
        case "relu": operation = .relu
        case "add": operation = .add
        case "concatenate_channels": operation = .concatenateChannels
        case "average_pool": operation = .averagePool(try attributes(GraphOperation.Pooling.self))
        case "max_pool": operation = .maxPool(try attributes(GraphOperation.Pooling.self))
        case "global_average_pool": operation = .globalAveragePool
        case "zero_pad_channels": operation = .zeroPadChannels(channels: try attributes(Channels.self).channels)
        case "linear": operation = .linear(try attributes(GraphOperation.Linear.self))
        case "flatten": operation = .flatten
        case "multi_fc_average": operation = .multiFCAverage(try attributes(GraphOperation.MultiFCAverage.self))
        case "bilinear_pooling": operation = .bilinearPooling
        case "attention_pooling": operation = .attentionPooling(scale: try attributes(Scale.self).scale)
        case "multi_proxy":
            let head = try attributes(MultiProxyAttributes.self)
            let flow: GraphOperation.MultiProxy.Flow
            switch head.flow {
            case "wasserstein":
                guard let transport = head.transport else {
                    throw DecodingError.dataCorruptedError(forKey: .attributes, in: container,
                                                           debugDescription: "a wasserstein multi_proxy node needs its transport")
                }
                flow = .wasserstein(transport)
            case "cosine": flow = .cosine
            case "uniform": flow = .uniform
            default:
                throw DecodingError.dataCorruptedError(forKey: .attributes, in: container,
                                                       debugDescription: "unknown multi_proxy flow '\(head.flow)' (wasserstein, cosine, uniform)")
            }
            operation = .multiProxy(GraphOperation.MultiProxy(proxies: head.proxies, bias: head.bias, flow: flow))
        default:
            throw DecodingError.dataCorruptedError(forKey: .op, in: container, debugDescription: "unknown op '\(kind)'")
        }
    }
}
