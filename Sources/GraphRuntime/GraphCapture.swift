import ModelGraph
import NN
import Tensors

/// Captures a module's forward pass as a `ModelGraph` by running it: the module's own
/// `callAsFunction` is the only definition of its structure.
public enum GraphCapture {
    /// The graph of `model`'s evaluation-mode forward pass for inputs of `inputShape` (without
    /// the batch axis, e.g. [3, 32, 32]). Runs one batch-1 forward pass in evaluation mode and
    /// restores every module's own mode. Throws a one-line error naming the op and module path when
    /// the output depends on an op outside the graph op set.
    public static func capture(_ model: some Layer, inputShape: [Int]) throws(GraphCaptureError) -> ModelGraph {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw GraphCaptureError("input shape \(Shape.describe(inputShape)) needs positive sizes")
        }
        if let defined = model as? any GraphDefined {
            let stored = defined.definition.values[defined.definition.inputs[0]].shape.dropFirst()
            guard stored.first == inputShape.first else {
                throw GraphCaptureError("the stored graph takes \(stored.first ?? 0) channels, not \(inputShape.first ?? 0)")
            }
            return defined.definition
        }
        let modules = model.modules, modes = modules.map(\.isTraining)
        model.eval()
        defer { for (module, training) in zip(modules, modes) where module.isTraining != training { module.setTraining(training) } }
        let paths = Dictionary(model.namedModules().map { (ObjectIdentifier($0.module), $0.name) }, uniquingKeysWith: { first, _ in first })
        let parameters = Dictionary(model.namedParameters().map { (ObjectIdentifier($0.parameter), (name: $0.name, shape: $0.parameter.shape)) },
                                    uniquingKeysWith: { first, _ in first })
        let recorder = GraphRecorder(modulePaths: paths, parameters: parameters)
        var generator = RandomGenerator(seed: 0)
        let images = Tensor.randomUniform([1] + inputShape, generator: &generator)
        let output = recorder.recording {
            let (input, _) = images.tracedInput(recorder)
            return model(input).tracedOutput(recorder)
        }
        return try recorder.finish(outputs: [output])
    }
}
