import Kernels

/// The mixed-precision scope, as PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)`: inside
/// `Autocast.run(.bf16) { ... }` convolutions and linear layers (the ops that read `Autocast.current`)
/// run in bf16 with float32 accumulation; every other op, the weights, their gradients, the
/// optimizer and the loss stay float32. Tensors stay float32 between ops, so layers need no code of
/// their own and models and checkpoints are the same in either precision.
///
/// The scope is per thread (a task-local value) and covers the forward pass; each op records in
/// its backward closure the precision it ran with, so `backward()` may run outside the scope.
public enum Autocast {
    public struct Policy: Sendable, Equatable {
        public var precision: Precision
        /// The engine for bf16 ops: oneDNN (native bf16 CPUs only) or the portable sgemm engine.
        public var backend: Convolution.Backend

        public init(precision: Precision, backend: Convolution.Backend = Convolution.defaultBackend) {
            self.precision = precision
            self.backend = backend
        }
    }

    @TaskLocal private static var policy = Policy(precision: .fp32)

    /// The policy of the innermost enclosing scope (float32 outside every scope).
    public static var current: Policy { policy }

    /// Runs `body` with convolutions and linear layers in `precision`. Call
    /// `precision.requireSupport()` first: bf16 on the oneDNN engine traps on a CPU without it.
    public static func run<R>(_ precision: Precision, backend: Convolution.Backend = Convolution.defaultBackend,
                              _ body: () throws -> R) rethrows -> R {
        try $policy.withValue(Policy(precision: precision, backend: backend), operation: body)
    }
}
