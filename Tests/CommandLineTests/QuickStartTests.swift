import Datasets
import Foundation
import Testing
import TestSupport
@testable import mpw

/// The README's quick start, run as written (each line in order, in a fresh folder that holds only
/// the repository's docs/ and the built mpw at .build/release/mpw) on the real Fashion-MNIST; and
/// what a user finds after stopping its first command early.
@Suite(.serialized) struct QuickStartTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let hasEverything = BuiltProducts.mpw != nil && FileManager.default.fileExists(atPath: MNISTStyle.fashionMNISTDirectory)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

    /// The lines of the README's first shell block after "## Quick start", comments dropped.
    static func quickStartLines() throws -> [String] {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Quick start")).upperBound
        let fence = try #require(readme.range(of: "```sh\n", range: section..<readme.endIndex)).upperBound
        let close = try #require(readme.range(of: "```", range: fence..<readme.endIndex)).lowerBound
        return readme[fence..<close].split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// A folder laid out as a clone after scripts/build: docs/ and .build/release/mpw.
    static func clone() throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        try FileManager.default.createSymbolicLink(at: root.file("docs"), withDestinationURL: repository.appendingPathComponent("docs"))
        try FileManager.default.createDirectory(at: root.file(".build/release"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: root.file(".build/release/mpw"), withDestinationURL: URL(fileURLWithPath: BuiltProducts.mpw!))
        return root
    }

    /// The block as one bash script that stops at the first failing line. `mpw serve` runs in the
    /// background until its readiness route answers, then gets the Ctrl-C a user would give it.
    static func script(_ lines: [String]) -> String {
        var script = ["set -eu -o pipefail"]
        for line in lines {
            script.append("echo \"+ \(line.replacingOccurrences(of: "\"", with: "\\\""))\" >&2")
            if line.hasPrefix("mpw serve ") {
                script += [
                    "\(line) > serve.log 2>&1 & server=$!",
                    "for attempt in $(seq 240); do curl -sf http://127.0.0.1:8080/v2/health/ready > ready.json && break; sleep 0.5; done",
                    "kill -INT $server; wait $server || true",
                    "test -s ready.json",
                ]
            } else {
                script.append(line)
            }
        }
        return script.joined(separator: "\n") + "\n"
    }

    @Test(.enabled(if: hasEverything, "needs the built mpw, Fashion-MNIST, mpirun and curl"))
    func quickStartRunsAsWritten() throws {
        let lines = try Self.quickStartLines()
        #expect(lines.first == "export PATH=\"$PWD/.build/release:$PATH\"")
        #expect(lines.contains { $0.hasPrefix("mpirun ") } && lines.contains { $0.hasPrefix("mpw serve ") })
        let listening = try MPWProcess.runExecutable("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:8080/"])
        try #require(listening.status != 0, "something already listens on port 8080; the quick start's mpw serve needs it")
        let root = try Self.clone()
        try Self.script(lines).write(to: root.file("quickstart.sh"), atomically: true, encoding: .utf8)
        let outcome = try MPWProcess.runExecutable("/bin/bash", ["quickstart.sh"], in: root.url)
        #expect(outcome.status == 0, "\(outcome.errors.suffix(3000))")
        // What each line promises is there.
        for file in ["runs/fm-mpw/last.safetensors", "runs/fm-mpw/best.safetensors", "model.onnx", "model.pth", "explain/explain.json",
                     "runs/fm-tuned/summary.json", "runs/fm-2/summary.json", "ready.json"] {
            #expect(FileManager.default.fileExists(atPath: root.file(file).path), "\(file)")
        }
        #expect(outcome.output.contains("docs/examples/bag.png") && outcome.output.contains("top-1"))
        #expect(outcome.output.contains("initialised from model.pth"))
        #expect(!outcome.output.contains("\r"), "progress bars in a log")
    }

    /// A first command stopped early (Ctrl-C, here --stop-after) leaves last.safetensors, which the
    /// later lines use; asked for best.safetensors, mpw names the file that exists and the resume command.
    @Test(.enabled(if: hasEverything, "needs the built mpw and Fashion-MNIST"))
    func aRunStoppedInItsFirstEpochServesTheLaterLines() throws {
        let root = try Self.clone()
        let stopped = try MPWProcess.run(["train", "--dataset", "fashion-mnist", "--limit-train", "2000", "--limit-test", "200", "--epochs", "1",
                                          "--out", "runs/fm-mpw", "--stop-after", "2"], in: root.url)
        #expect(stopped.status == 130 && stopped.output.contains("Resume with: mpw train --resume ") && stopped.output.contains("runs/fm-mpw"), "\(stopped.output)")
        let eval = try MPWProcess.run(["eval", "--checkpoint", "runs/fm-mpw/last.safetensors", "--limit-test", "200"], in: root.url)
        #expect(eval.status == 0 && eval.output.contains("top-1"), "\(eval.errors)")
        let best = try MPWProcess.run(["eval", "--checkpoint", "runs/fm-mpw/best.safetensors"], in: root.url)
        #expect(best.status != 0)
        #expect(best.errors == "Error: runs/fm-mpw/best.safetensors: no such file yet: the run stopped before its first epoch ended, and best.safetensors is written when an epoch ends; use runs/fm-mpw/last.safetensors, or finish the run with mpw train --resume runs/fm-mpw\n")
    }
}
