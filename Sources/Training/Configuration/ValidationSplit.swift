import Datasets
import Tensors

/// `--validation-split F`: a fraction of the training split held out, chosen with the run's seed,
/// on which `best.safetensors` is then chosen so the test split stays unseen until it is reported.
public enum ValidationSplit {
    /// The held-out images and what is left to train on, both in their original order. The
    /// choice depends on the seed and the split's size only, so a resumed run holds out the same images.
    public static func split(_ train: any Dataset, fraction: Double, seed: UInt64) throws -> (train: any Dataset, validation: any Dataset) {
        let held = Int((fraction * Double(train.count)).rounded())
        guard held >= 1, held < train.count else {
            throw ConfigurationError("--validation-split \(fraction) of \(train.count) training images holds out \(held): leave at least one image on each side")
        }
        var generator = RandomGenerator(seed: seed ^ 0x5641_4C49_4441_5445)
        var order = Array(0..<train.count)
        for position in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(position, generator.nextInt(below: position + 1))
        }
        let validation = order.prefix(held).sorted()
        let kept = order.dropFirst(held).sorted()
        return (DatasetSubset(base: train, indices: kept), DatasetSubset(base: train, indices: validation))
    }
}
