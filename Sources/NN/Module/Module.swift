import Foundation
import Tensors

/// The base of every layer and model: a tree of modules owning named parameters and buffers.
///
/// Children and parameters are found by reflection on stored properties, so a model reads like
/// its paper's table: a property `conv1: Conv2d` contributes `conv1.weight`, an array
/// `layers: [BasicBlock]` contributes `layers.0.c1.weight`, ... These are PyTorch's state_dict
/// names, which is what makes checkpoints move between the two frameworks.
open class Module {
    public private(set) var isTraining = true

    public init() {}

    /// Direct children with their names, in declaration order (superclass properties first).
    open var namedChildren: [(name: String, module: Module)] {
        reflectedProperties().flatMap { label, value -> [(name: String, module: Module)] in
            if let module = value as? Module { return [(label, module)] }
            if let modules = value as? [Module] { return modules.enumerated().map { ("\(label).\($0.offset)", $0.element) } }
            return []
        }
    }

    /// Parameters and buffers this module holds itself (not its children's).
    open var namedOwnParameters: [(name: String, parameter: Parameter)] {
        reflectedProperties().compactMap { label, value in (value as? Parameter).map { (label, $0) } }
    }

    private func reflectedProperties() -> [(String, Any)] {
        var levels: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            levels.append(current)
            mirror = current.superclassMirror
        }
        return levels.reversed().flatMap { level in
            level.children.compactMap { child in child.label.map { ($0, child.value) } }
        }
    }

    /// Every parameter and buffer in the tree with its dotted name, depth first.
    public func namedParameters(includingBuffers: Bool = true) -> [(name: String, parameter: Parameter)] {
        var result = namedOwnParameters.filter { includingBuffers || $0.parameter.isTrainable }
        for (childName, child) in namedChildren {
            result += child.namedParameters(includingBuffers: includingBuffers).map { ("\(childName).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// The trainable parameters, in state-dict order.
    public var trainableParameters: [Parameter] { namedParameters(includingBuffers: false).map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { trainableParameters.reduce(0) { $0 + $1.value.count } }

    /// Every module in the tree, this one first.
    public var modules: [Module] { namedModules().map(\.module) }

    /// Every module in the tree with its dotted path ("" for this one), depth first.
    public func namedModules() -> [(name: String, module: Module)] {
        [("", self)] + namedChildren.flatMap { childName, child in
            child.namedModules().map { ($0.name.isEmpty ? childName : "\(childName).\($0.name)", $0.module) }
        }
    }

    /// Switches this module and all its children between training and evaluation behaviour
    /// (batch statistics and dropout in training; running statistics and identity in evaluation).
    public func setTraining(_ training: Bool) {
        for module in modules { module.isTraining = training }
    }

    public func train() { setTraining(true) }
    public func eval() { setTraining(false) }

    /// Freezes every weight of this module and its children (`Parameter.isFrozen`): a
    /// pretrained backbone under a new head, say. Make the optimizer after freezing.
    public func freeze() {
        for (_, parameter) in namedParameters() { parameter.isFrozen = true }
    }

    /// Makes every weight of this module and its children trainable again.
    public func unfreeze() {
        for (_, parameter) in namedParameters() { parameter.isFrozen = false }
    }

    /// Forgets all accumulated gradients.
    public func clearGradients() {
        for parameter in trainableParameters { parameter.clearGradient() }
    }

    // MARK: State dict

    /// Every parameter and buffer by PyTorch name, in order.
    public func stateDict() -> [(name: String, value: Tensor)] {
        namedParameters().map { ($0.name, $0.parameter.value.detached()) }
    }

    /// Replaces every parameter and buffer. Keys and shapes must match exactly; otherwise
    /// nothing is changed and the error lists every missing, unexpected and mismatched key.
    /// `renaming` maps each key of `stateDict` to this module's name for it, or to nil to leave
    /// the entry out: loading another codebase's weights (`"fc.weight"` to `"head.fc.weight"`).
    public func load(stateDict: [String: Tensor], source: String? = nil, renaming: ((String) -> String?)? = nil) throws {
        if let renaming {
            var renamed: [String: Tensor] = [:]
            var error = StateDictError(source: source)
            for (key, tensor) in stateDict {
                guard let name = renaming(key) else { continue }
                if renamed[name] != nil { error.unexpected.append("\(key) (renamed to \(name), a name another key took)") }
                renamed[name] = tensor
            }
            guard error.isEmpty else { throw error }
            return try load(stateDict: renamed, source: source)
        }
        let parameters = namedParameters()
        var error = StateDictError(source: source)
        let known = Set(parameters.map(\.name))
        error.unexpected = stateDict.keys.filter { !known.contains($0) }.sorted()
        for (name, parameter) in parameters {
            guard let tensor = stateDict[name] else {
                error.missing.append(name)
                continue
            }
            if tensor.shape != parameter.shape { error.mismatched.append((name, parameter.shape, tensor.shape)) }
        }
        guard error.isEmpty else { throw error }
        for (name, parameter) in parameters {
            parameter.value = stateDict[name]!.contiguous().converted(to: parameter.value.format).detached()
        }
    }

    /// Adds every parameter and buffer to a safetensors writer, under `prefix`; a value in
    /// `replacing` (by parameter name) is written instead of the live one (a snapshot taken earlier).
    public func write(to writer: inout SafeTensorsWriter, prefix: String = "", replacing: [String: Tensor] = [:]) {
        for (name, parameter) in namedParameters() {
            let value = replacing[name] ?? parameter.value
            if parameter.isInteger {
                writer.add(prefix + name, int64s: value.scalars.map { Int64($0) }, shape: value.shape)
            } else {
                writer.add(prefix + name, value.contiguous())
            }
        }
    }

    /// Loads every parameter and buffer from a safetensors file (keys under `prefix`, which is
    /// stripped; other keys of the file are ignored when a prefix is given).
    public func load(from file: SafeTensorsFile, prefix: String = "", renaming: ((String) -> String?)? = nil) throws {
        var tensors: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix(prefix) {
            tensors[String(name.dropFirst(prefix.count))] = try file.tensor(name)
        }
        try load(stateDict: tensors, source: file.path, renaming: renaming)
    }
}

/// A module mapping one tensor to another, the unit `Sequential` chains.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}
