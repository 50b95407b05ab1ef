import Foundation

/// The executables the package builds, for tests that run them as a user would.
public enum BuiltProducts {
    /// The `mpw` built next to the test bundle (scripts/test), else scripts/build's; nil when
    /// neither exists.
    public static let mpw: String? = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mpw").path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ([beside] + [".build-tests/release", ".build/release"].map { root.appendingPathComponent($0).appendingPathComponent("mpw").path })
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}
