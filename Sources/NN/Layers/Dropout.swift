import Tensors

/// Zeroes each element with probability p in training and scales the rest by 1/(1 - p)
/// (inverted dropout); the identity in evaluation. Its generator is part of the training state,
/// so checkpoints save `generator.stateWords` and a resumed run draws the same masks.
public final class Dropout: Module, Layer {
    public let probability: Float
    public var generator: RandomGenerator

    public init(probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) outside [0, 1)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        var mask = Tensor(uninitializedShape: input.shape, format: input.format)
        let keep = 1 - probability
        mask.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = generator.nextUniform() < keep ? 1 / keep : 0 }
        }
        return input * mask
    }
}
