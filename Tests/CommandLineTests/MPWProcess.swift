import Foundation
import TestSupport

/// Runs the built `mpw` as a user does from a shell, for tests of what the user sees.
enum MPWProcess {
    struct Outcome {
        let status: Int32
        let output: String
        let errors: String
    }

    /// The mpw this suite runs (see `BuiltProducts.mpw`).
    static let mpw: String = BuiltProducts.mpw ?? "mpw"

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Outcome {
        try runExecutable(mpw, arguments, in: directory, environment: environment)
    }

    /// Runs any executable with standard output and standard error captured .
    static func runExecutable(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                              environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Standard error goes to a file, so neither stream's pipe can fill while the other is read.
        let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("mpw-stderr-\(UUID().uuidString)")
        try Data().write(to: errorsFile)
        defer { try? FileManager.default.removeItem(at: errorsFile) }
        let errors = try FileHandle(forWritingTo: errorsFile)
        defer { try? errors.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorData = (try? Data(contentsOf: errorsFile)) ?? Data()
        return Outcome(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                       errors: String(decoding: errorData, as: UTF8.self))
    }
}
