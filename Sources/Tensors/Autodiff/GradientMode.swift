/// Whether ops record the autodiff graph on the current thread or task.
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// True when ops record the graph (outside any `withoutGradients` scope).
    public static var isRecording: Bool { isEnabled }
}

/// Runs `body` without recording the autodiff graph: evaluation and optimizer updates, where no
/// gradient is wanted and intermediate results must not be kept alive.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}
