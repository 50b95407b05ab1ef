import ArgumentParser
import Foundation
import Testing
@testable import mpw

/// Every `mpw` command line in the README and the guides parses with the real parser (with
/// `--preset` expanded, as `mpw` does before parsing), so a renamed or removed flag fails here.
@Suite struct DocumentedCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// README.md and every Markdown file under docs/.
    static func documentedCommands() throws -> [DocumentedCommand] {
        var files = [root.appendingPathComponent("README.md")]
        let docs = root.appendingPathComponent("docs")
        let enumerator = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "md" { files.append(url) }
        }
        return try files.sorted { $0.path < $1.path }.flatMap { url in
            let relative = String(url.path.dropFirst(root.path.count + 1))
            return DocumentedCommands.commands(inMarkdown: try String(contentsOf: url, encoding: .utf8), file: relative)
        }
    }

    /// nil when `mpw` accepts the arguments, else its one-line error. A sweep's train flags are
    /// parsed too, as the sweep parses them for each of its runs.
    static func parseError(_ arguments: [String]) -> String? {
        do {
            let command = try MPW.parseAsRoot(try PresetExpansion.expandTrainCommand(arguments))
            if let sweep = command as? SweepCommand { _ = try sweep.plan() }
            return nil
        } catch {
            return MPW.exitCode(for: error) == .success ? nil : MPW.message(for: error)
        }
    }

    @Test func everyDocumentedCommandParses() throws {
        let commands = try Self.documentedCommands()
        for command in commands {
            if let error = Self.parseError(command.arguments) { Issue.record("\(command)\n  \(error)") }
        }
        // The reader found the commands the front page promises, so this test cannot pass on nothing.
        #expect(commands.count >= 60, "only \(commands.count) commands found")
        let subcommands = Set(commands.compactMap(\.arguments.first))
        for name in ["train", "eval", "predict", "explain", "demo", "bench", "data", "models", "convert", "presets", "sweep", "report"] {
            #expect(subcommands.contains(name), "no documented `mpw \(name)` command")
        }
        #expect(commands.contains { $0.file == "README.md" && $0.arguments.first == "train" })
    }

    @Test func aRenamedFlagIsCaught() {
        let markdown = "```sh\nmpw train --dataset fashion-mnist --epochz 3\nmpw eval --checkpoint runs/x/best.safetensors\n```\n"
        let commands = DocumentedCommands.commands(inMarkdown: markdown, file: "x.md")
        #expect(commands.count == 2)
        #expect(Self.parseError(commands[0].arguments)?.contains("--epochz") == true)
        #expect(Self.parseError(commands[1].arguments) == nil)
        #expect(Self.parseError(["train", "--preset", "table4-resnet20-mpw", "--epochs", "4"]) == nil)
        #expect(Self.parseError(["train", "--preset", "table4-resnet21-mpw"]) != nil)
        #expect(Self.parseError(["sweep", "--table", "4", "--out", "runs/t4", "--epochz", "3"])?.contains("--epochz") == true)
    }

    @Test func commandsAreReadAsTheShellRunsThem() {
        let markdown = """
            Prose with `mpw train --not-a-command` is not read.

            ```text
            mpw output lines are not commands
            ```

            ```sh
            # a comment line
            C="--dataset fashion-mnist --limit-train 500"
            mpw train $C --head mpw \\
                --epochs 2 --out "runs/a b"   # trailing comment
            mpirun -np 2 --oversubscribe .build/release/mpw train --dataset cifar10 --data ~/data && echo done
            for i in 1 2; do
              mpw sweep --table 4 --shard $i/2 --out runs/t${i} &
            done; wait
            mpw predict --checkpoint runs/$(date +%s)/best.safetensors photos/ --csv > predictions.csv 2>&1
            cat list | mpw eval --checkpoint 'x y.safetensors' | head
            DNNL_VERBOSE=1 scripts/demo --epochs 1
            python3 Benchmarks/reference/pytorch/zoo_train.py --model resnet20
            ```
            """
        let commands = DocumentedCommands.commands(inMarkdown: markdown, file: "x.md")
        #expect(commands.map(\.arguments) == [
            ["train", "--dataset", "fashion-mnist", "--limit-train", "500", "--head", "mpw", "--epochs", "2", "--out", "runs/a b"],
            ["train", "--dataset", "cifar10", "--data", "~/data"],
            ["sweep", "--table", "4", "--shard", "1/2", "--out", "runs/t1"],
            ["predict", "--checkpoint", "runs/1/best.safetensors", "photos/", "--csv"],
            ["eval", "--checkpoint", "x y.safetensors"],
            ["demo", "--epochs", "1"],
        ])
        #expect(commands.map(\.line) == [10, 12, 14, 16, 17, 18])
    }
}
