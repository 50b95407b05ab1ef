import Foundation
import TestSupport

/// The `mpw serve` binary run as a user runs it, on a free loopback port (`--port 0`), with the
/// port read from the line it prints; killed after `watchdogSeconds` if a test hangs.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let watchdog: DispatchWorkItem

    init(_ arguments: [String], watchdogSeconds: Double = 180) throws {
        guard let mpw = BuiltProducts.mpw else { throw ServerFixtureError("no mpw binary: scripts/test builds it next to the tests") }
        process.executableURL = URL(fileURLWithPath: mpw)
        process.arguments = ["serve"] + arguments + (arguments.contains("--port") ? [] : ["--port", "0"])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let process = self.process
        watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + watchdogSeconds, execute: watchdog)

        // A line names the address: "mpw serve: ... on http://127.0.0.1:PORT/".
        var line = ""
        while !line.contains("http://127.0.0.1:") || !line.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let address = line.range(of: "http://127.0.0.1:").map({ line[$0.upperBound...].prefix { $0.isNumber } }), let port = Int(address) else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerFixtureError("mpw serve printed no address: \(line)")
        }
        self.port = port
    }

    /// Sends SIGTERM and waits for the exit.
    func terminate() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        watchdog.cancel()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        watchdog.cancel()
    }
}
