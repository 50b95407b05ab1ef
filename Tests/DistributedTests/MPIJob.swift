import Foundation
import Tensors
import TestSupport

/// Runs the built `mpw` binary, alone or under Open MPI's `mpirun`, as a user would.
enum MPIJob {
    struct Outcome {
        var status: Int32
        var output: String
        var seconds: Double
    }

    /// `mpirun` from the PATH, or nil when Open MPI is not installed.
    static let mpirun: String? = executable(named: "mpirun")

    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The mpw this suite runs (see `BuiltProducts.mpw`).
    static let mpw: String = BuiltProducts.mpw ?? "mpw"

    /// Flags every single-machine job needs here: root in a container, more ranks than cores.
    static let localFlags = ["--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none"]

    /// A training run on `3 * batch` images (3 steps an epoch; 48 at the default batch 16), one
    /// thread per rank: the Fashion-MNIST subset (the real data path), or the CIFAR-format directory `data`.
    static func trainArguments(head: String, out: URL, epochs: Int = 2, data: URL? = nil, learningRate: String = "0.01",
                               batch: Int = 16, extra: [String] = []) -> [String] {
        let dataset = data.map { ["--dataset", "cifar10", "--data", $0.path] } ?? ["--dataset", "fashion-mnist"]
        return ["train"] + dataset + ["--limit-train", String(3 * batch), "--limit-test", "16", "--batch", String(batch), "--epochs", String(epochs),
         "--model", "resnet20", "--head", head, "--lr", learningRate, "--workers", "0", "--seed", "5", "--log-every", "1",
         "--out", out.path] + (extra.contains("--threads") ? [] : ["--threads", "1"]) + extra
    }

    /// Writes `training` (48: 3 batches of 16) and 16 test images of uniform random pixels in
    /// CIFAR-10's format under `root` (see `CIFARFixture.randomPixels` for why equality tests use
    /// them); returns `root`.
    static func randomPixelData(in root: URL, training: Int = 48) throws -> URL {
        try CIFARFixture.write(in: root, training: training, test: 16, seed: 1, draw: CIFARFixture.randomPixels)
        return root
    }

    /// `mpw arguments` on `ranks` ranks (nil: plain, without mpirun).
    static func run(_ arguments: [String], ranks: Int?, mpiFlags: [String] = localFlags, launcher: [String] = [],
                    environment extraEnvironment: [String: String] = [:], timeout: Double = 240,
                    whileRunning: ((Process) -> Void)? = nil) throws -> Outcome {
        let process = Process()
        let command: [String]
        if let ranks {
            command = launcher + [mpirun!, "-np", String(ranks)] + mpiFlags + [mpw] + arguments
        } else {
            command = launcher + [mpw] + arguments
        }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpw-job-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: log)
        }
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try withSignalsUnblocked { try process.run() }
        whileRunning?(process)
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                process.terminate()
                Thread.sleep(forTimeInterval: 2)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let seconds = Date().timeIntervalSince(start)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, output: output, seconds: seconds)
    }

    /// Runs `body` (which spawns a process) with the stop signals unblocked in this thread: the test
    /// runner's worker threads block them, a spawned process inherits the mask, and an mpirun with
    /// SIGTERM blocked would never hear a test's signal.
    static func withSignalsUnblocked<R>(_ body: () throws -> R) rethrows -> R {
        var signals = sigset_t(), previous = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM, SIGUSR1, SIGCONT] { sigaddset(&signals, number) }
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    /// The process of rank `rank` among the descendants of `root` (its environment says so).
    static func rankProcess(_ rank: Int, under root: Int32) -> Int32? {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parents[pid] = parent }
        }
        func descends(_ pid: Int32) -> Bool {
            var current = pid
            for _ in 0..<16 {
                guard let parent = parents[current] else { return false }
                if parent == root { return true }
                current = parent
            }
            return false
        }
        for pid in parents.keys where descends(pid) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            // argv[0], not /proc/PID/comm: mpw re-executes itself through /proc/self/exe (LibraryEnvironment).
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")?.split(separator: 0).first
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)"), let command, String(decoding: command, as: UTF8.self).hasSuffix("mpw") {
                return pid
            }
        }
        return nil
    }

    /// Waits until `file` exists (true) or `seconds` pass (false).
    static func waitFor(_ file: URL, seconds: Double) -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if FileManager.default.fileExists(atPath: file.path) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}

/// How far two checkpoints are apart: ‖a − b‖ / ‖b‖ over every Float32 tensor under `prefix`.
func relativeDifference(_ a: URL, _ b: URL, prefix: String) throws -> Double {
    try relativeDifference(a, b) { $0.hasPrefix(prefix) }
}

/// ‖a − b‖ / ‖b‖ over the Float32 tensors whose names `include` accepts.
func relativeDifference(_ a: URL, _ b: URL, where include: (String) -> Bool) throws -> Double {
    let first = try SafeTensorsFile(contentsOf: a), second = try SafeTensorsFile(contentsOf: b)
    var difference = 0.0, norm = 0.0
    for name in first.entries.keys.sorted() where include(name) && !name.hasSuffix("num_batches_tracked") {
        let x = try first.floats(name), y = try second.floats(name)
        precondition(x.count == y.count, "\(name): \(x.count) and \(y.count) elements")
        for (p, q) in zip(x, y) {
            difference += Double(p - q) * Double(p - q)
            norm += Double(q) * Double(q)
        }
    }
    return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
}
