import Models
import MultiProxy
import NN
import Tensors

/// Loads a state dict into a freshly built classifier for fine-tuning. The backbone must fit
/// exactly. The head is loaded when it fits, left freshly initialised when the file's has another
/// number of classes (or none), and, for an MPW model from a GAP-FC file, seeded from the FC
/// rows. Any other mismatch lists every key, as `Module.load(stateDict:)` does; nothing changes
/// before everything has been checked.
public enum WeightTransfer {
    @discardableResult
    public static func apply(_ weights: InitialWeights, to model: ImageClassifier, proxyNoise: Float = FineTuningSettings.defaultProxyNoise,
                             generator: inout RandomGenerator) throws -> HeadTransfer {
        let prefix = model.headPrefix.isEmpty ? "" : model.headPrefix + "."
        let backboneNames = Set(model.backbone.namedParameters().map(\.name))
        var backbone: [String: Tensor] = [:], head: [String: Tensor] = [:]
        for (name, tensor) in weights.tensors {
            if !backboneNames.contains(name) && name.hasPrefix(prefix) {
                head[String(name.dropFirst(prefix.count))] = tensor
            } else {
                backbone[name] = tensor
            }
        }
        let plan = try headPlan(head, model: model, prefix: prefix, noise: proxyNoise, source: weights.path)
        try model.backbone.load(stateDict: backbone, source: weights.path)
        switch plan {
        case .kept: try model.head.load(stateDict: head, source: weights.path)
        case .seededFromLinear: seedProxies(model.head as! MultiProxyHead, from: head, noise: proxyNoise, generator: &generator)
        case .replaced, .absent: break
        }
        return plan
    }

    private static func headPlan(_ file: [String: Tensor], model: ImageClassifier, prefix: String, noise: Float, source: String) throws -> HeadTransfer {
        let parameters = model.head.namedParameters()
        let fits = Set(parameters.map(\.name)) == Set(file.keys) && parameters.allSatisfy { file[$0.name]?.shape == $0.parameter.shape }
        if fits { return .kept }
        if file.isEmpty { return .absent }
        if let fileClasses = classCount(file), fileClasses != model.head.classes {
            return .replaced(fileClasses: fileClasses, classes: model.head.classes)
        }
        if let proxies = model.head as? MultiProxyHead, case .wasserstein = proxies.flow, let weight = file["fc.weight"],
           Set(file.keys).isSubset(of: ["fc.weight", "fc.bias"]), weight.shape == [proxies.classes, proxies.proxies.shape[2]],
           file["fc.bias"].map({ $0.shape == [proxies.classes] }) ?? true {
            let bias: HeadTransfer.BiasTransfer = file["fc.bias"] == nil ? .none : (proxies.bias == nil ? .dropped : .copied)
            return .seededFromLinear(proxies: proxies.proxiesPerClass, noise: noise, bias: bias)
        }
        var error = StateDictError(source: source)
        error.unexpected = file.keys.filter { name in !parameters.contains { $0.name == name } }.map { prefix + $0 }.sorted()
        for (name, parameter) in parameters {
            guard let tensor = file[name] else {
                error.missing.append(prefix + name)
                continue
            }
            if tensor.shape != parameter.shape { error.mismatched.append((prefix + name, parameter.shape, tensor.shape)) }
        }
        throw error
    }

    /// The classes of a head state dict: the leading size of its class-indexed weight.
    static func classCount(_ head: [String: Tensor]) -> Int? {
        for name in ["fc.weight", "fc.0.weight", "proxies"] {
            if let tensor = head[name], tensor.shape.count >= 2 { return tensor.shape[0] }
        }
        return nil
    }

    /// P_km = w_k + noise · rms(w_k) · z_km, z standard normal: with noise 0 every proxy of class
    /// k is FC row k, the plan is exactly uniform and the MPW score equals the GAP-FC logit without
    /// its bias; the noise breaks the symmetry so the proxies can diverge.
    static func seedProxies(_ head: MultiProxyHead, from file: [String: Tensor], noise: Float, generator: inout RandomGenerator) {
        let weight = file["fc.weight"]!.contiguous().scalars
        let (classes, proxies, channels) = (head.classes, head.proxiesPerClass, head.proxies.shape[2])
        var values = [Float](repeating: 0, count: classes * proxies * channels)
        for k in 0..<classes {
            let row = weight[(k * channels)..<((k + 1) * channels)]
            let rms = (row.reduce(0) { $0 + $1 * $1 } / Float(channels)).squareRoot()
            for m in 0..<proxies {
                let base = (k * proxies + m) * channels
                for (i, w) in row.enumerated() {
                    values[base + i] = noise > 0 ? w + noise * rms * generator.nextNormal() : w
                }
            }
        }
        head.proxies.value = Tensor(values, shape: [classes, proxies, channels])
        if let bias = head.bias, let fileBias = file["fc.bias"] { bias.value = fileBias.contiguous() }
    }
}
