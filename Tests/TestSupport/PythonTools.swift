import Foundation

/// The PyPI packages the interop tests check our files with (onnx, onnxruntime, tensorboard),
/// installed by `scripts/test-tools` into `.build-tests/python` and never needed at run time.
public enum PythonTools {
    /// The folder `scripts/test-tools` installs into.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build-tests/python")

    /// Whether `module` imports with the installed packages (checked once per module).
    public static func has(_ module: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let known = availability[module] { return known }
        let found = (try? run(["-c", "import \(module)"]).status == 0) ?? false
        availability[module] = found
        return found
    }

    /// The message a skipped interop test shows.
    public static func missing(_ module: String) -> String {
        "python3 cannot import \(module): run scripts/test-tools (scripts/test does) to install it into .build-tests/python"
    }

    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `python3 arguments` with the installed packages first on the module path.
    public static func run(_ arguments: [String], input: Data? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = ([directory.path] + (environment["PYTHONPATH"].map { [$0] } ?? [])).joined(separator: ":")
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        let output = Pipe(), inputPipe = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try? inputPipe.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var availability: [String: Bool] = [:]
}
