import Tensors

/// A named tensor a module owns: a trainable weight (a leaf of the autodiff graph, updated by
/// optimizers) or a buffer such as BatchNorm's running statistics (saved, never trained).
///
/// Modules hold parameters by reference so an optimizer can update them in place; the
/// parameter's name comes from where it sits in the module tree (`layers.0.c1.weight`).
public final class Parameter {
    public enum Role: Sendable {
        /// A weight of a convolution or linear layer (or a proxy set).
        case weight
        /// An additive bias.
        case bias
        /// The scale or shift of a normalisation layer.
        case normalization
        /// Saved state that is not trained (running statistics, counters).
        case buffer
    }

    public let role: Role
    /// Buffers PyTorch stores as integers (BatchNorm's `num_batches_tracked`) are saved as I64.
    public let isInteger: Bool

    /// The current value. Trainable values are autodiff leaves: assigning re-makes the leaf.
    public var value: Tensor {
        didSet { if isTrainable && !value.requiresGradient { value = value.requiringGradient() } }
    }

    public init(_ value: Tensor, role: Role, isInteger: Bool = false) {
        self.role = role
        self.isInteger = isInteger
        self.value = role == .buffer ? value.detached() : value.requiringGradient()
    }

    /// A frozen weight keeps its value: it is no autodiff leaf (no gradient is computed for it)
    /// and optimizers made after freezing leave it out (`Module.freeze`).
    public var isFrozen = false {
        didSet { if role != .buffer { value = isFrozen ? value.detached() : value.requiringGradient() } }
    }

    /// True for weights an optimizer updates: not buffers, not frozen.
    public var isTrainable: Bool { role != .buffer && !isFrozen }

    /// The gradient accumulated by `backward()` since the last `clearGradient()`.
    public var gradient: Tensor? { value.gradient }

    public func clearGradient() { value.clearGradient() }

    public var shape: [Int] { value.shape }
}
