import Tensors

public final class ReLU: Module, Layer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// Passes its input through: the shortcut of residual blocks whose shape does not change.
public final class Identity: Module, Layer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input }
}

/// (N, ...) to (N, rest) as one row per sample.
public final class Flatten: Module, Layer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.flattened() }
}
