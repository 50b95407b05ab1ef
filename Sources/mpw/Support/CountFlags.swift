import ArgumentParser

/// Checks count flags (sizes, steps, epochs, ...) with the same one-line error everywhere;
/// flags the user did not give (nil) pass.
func requireCounts(_ flags: (name: String, value: Int?)...) throws {
    for flag in flags {
        if let value = flag.value, value < 1 { throw ValidationError("\(flag.name) must be at least 1, got \(value)") }
    }
}
