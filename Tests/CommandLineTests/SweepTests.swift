import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Tensors
import Testing
import TestSupport
import Training
@testable import mpw

/// A sweep of 2 heads x 2 seeds on a few hundred Fashion-MNIST images, run straight through and
/// interrupted in the middle, then re-run.
@Suite(.serialized) struct SweepTests {
    static let presets = ["table4-resnet20-gapfc", "table4-resnet20-mpw"]
    static let trainFlags = ["--dataset", "fashion-mnist", "--epochs", "1", "--limit-train", "96", "--limit-test", "64", "--batch", "32",
                             "--threads", "2", "--workers", "1"]
    static let stepsPerRun = 3

    static func plan(_ out: URL) throws -> SweepPlan {
        try SweepPlan(presets: presets, seeds: [0, 1], trainingArguments: trainFlags, out: out.path)
    }

    static func weights(_ run: SweepPlan.Run) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: run.directory.lastCheckpoint)
        var result: [String: [Float]] = [:]
        for name in file.entries.keys { result[name] = try file.floats(name) }
        return result
    }

    /// A finished sweep, shared by the report tests.
    static func finishedSweep(in root: TemporaryDirectory) throws -> SweepPlan {
        let plan = try plan(root.file("straight"))
        #expect(try plan.execute(observer: { _ in }).isEmpty)
        return plan
    }

    @Test func anInterruptedSweepSkipsFinishedRunsAndResumesTheRestExactly() throws {
        let root = try TemporaryDirectory()
        let straight = try Self.finishedSweep(in: root)
        for run in straight.runs { #expect(FileManager.default.fileExists(atPath: run.directory.summaryFile.path)) }

        let stopped = try Self.plan(root.file("stopped"))
        var steps = 0
        InterruptSignal.clear()
        defer { InterruptSignal.clear() }
        let stopAfter = Self.stepsPerRun + 2  // the second run, mid-epoch
        do {
            _ = try stopped.execute(observer: { event in
                if case .step = event {
                    steps += 1
                    if steps == stopAfter { InterruptSignal.request() }
                }
            })
            Issue.record("the sweep was not interrupted")
        } catch TrainingStop.interrupted(let epoch, let batch, _) {
            #expect(epoch == 0 && batch == 2)
        }
        InterruptSignal.clear()
        guard case .finished = try stopped.status(of: stopped.runs[0]), case .partial(let checkpoint) = try stopped.status(of: stopped.runs[1]),
              case .pending = try stopped.status(of: stopped.runs[2]) else {
            Issue.record("unexpected run states after the interruption")
            return
        }
        #expect(checkpoint.state.batch == 2)

        var skipped: [Int] = [], resumed: [Int] = []
        let failures = try stopped.execute(observer: { _ in }, starting: { index, _, trainer in
            if trainer.state.batch > 0 { resumed.append(index) }
        }, skipped: { index, _ in skipped.append(index) })
        #expect(failures.isEmpty && skipped == [0] && resumed == [1])
        for (a, b) in zip(straight.runs, stopped.runs) {
            let x = try Self.weights(a), y = try Self.weights(b)
            #expect(x.keys.sorted() == y.keys.sorted())
            for (name, values) in x { #expect(y[name] == values, "\(a.preset) seed \(a.seed): \(name)") }
        }
        // Re-running a finished sweep does nothing; changed settings on a partial run are refused.
        var again: [Int] = []
        _ = try stopped.execute(observer: { _ in }, skipped: { index, _ in again.append(index) })
        #expect(again == [0, 1, 2, 3])
        try Self.checkReport(on: root, sweep: straight)
    }

    /// `mpw report` on the finished sweep: Table 4's layout with the medians of the runs' summary.json.
    static func checkReport(on root: TemporaryDirectory, sweep: SweepPlan) throws {
        try ReportCommand.parse([root.file("straight").path, "--out", root.file("report").path]).run()
        let markdown = try String(contentsOf: root.file("report/report.md"), encoding: .utf8)
        #expect(markdown.contains("## Table 4: heads on CIFAR-100, top-1 (%), runs on fashion-mnist"))
        #expect(markdown.contains("| head | ResNet-18 (resnet20) | paper | vs GAP-FC |"))
        var top1: [String: [UInt64: Double]] = [:]
        for run in sweep.runs {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: run.directory.summaryFile)) as! [String: Any]
            top1[run.preset, default: [:]][run.seed] = 100 * (object["final_top1"] as! Double)
        }
        let gapfc = top1["table4-resnet20-gapfc"]!, mpw = top1["table4-resnet20-mpw"]!
        let gapfcMedian = (gapfc[0]! + gapfc[1]!) / 2, mpwMedian = (mpw[0]! + mpw[1]!) / 2
        let difference = [mpw[0]! - gapfc[0]!, mpw[1]! - gapfc[1]!].sorted()
        func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + String(format: "%.2f", x) }
        let baselineRow = "| Baseline (gapfc) | \(String(format: "%.2f [%.2f-%.2f] (2)", gapfcMedian, gapfc.values.min()!, gapfc.values.max()!)) | 69.95 |  |"
        let oursRow = "| Ours (mpw) | \(String(format: "%.2f [%.2f-%.2f] (2)", mpwMedian, mpw.values.min()!, mpw.values.max()!)) | 71.60 | "
            + "\(signed((difference[0] + difference[1]) / 2)) [\(signed(difference[0])), \(signed(difference[1]))] (2) |"
        #expect(markdown.contains(baselineRow), "\(baselineRow)\n\(markdown)")
        #expect(markdown.contains(oursRow), "\(oursRow)\n\(markdown)")
        #expect(markdown.contains("the paper's numbers are on cifar100"))

        let csv = try String(contentsOf: root.file("report/report.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: root.file("report/report.json"))) as! [String: Any]
        #expect((json["cells"] as! [Any]).count == 4)  // 2 heads in Table 4 and in Table 2, whose ResNet-18 rows they share

        for metric in ["test-top1", "train-loss", "learning-rate", "images-per-second", "sinkhorn-iterations"] {
            let svg = try Data(contentsOf: root.file("report/fashion-mnist-resnet20-\(metric).svg"))
            let parser = XMLParser(data: svg)
            #expect(parser.parse(), "\(metric).svg is not well-formed XML: \(String(describing: parser.parserError))")
            let text = String(decoding: svg, as: UTF8.self)
            #expect(text.contains("<svg") && text.contains("<polyline") && text.contains(">epoch</text>"))
            let png = try Data(contentsOf: root.file("report/fashion-mnist-resnet20-\(metric).png"))
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        }

        // Runs of one table on two datasets: a note, one table each.
        let copy = root.file("mixed/other")
        try FileManager.default.createDirectory(at: root.file("mixed"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sweep.runs[0].directory.url, to: copy)
        let config = try String(contentsOf: copy.appendingPathComponent("config.json"), encoding: .utf8)
        try config.replacingOccurrences(of: "\"fashion-mnist\"", with: "\"cifar100\"")
            .write(to: copy.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try ReportCommand.parse([root.file("straight").path, root.file("mixed").path, "--out", root.file("report2").path, "--no-plots"]).run()
        let mixed = try String(contentsOf: root.file("report2/report.md"), encoding: .utf8)
        #expect(mixed.contains("Table 4 has runs on 2 datasets (cifar100, fashion-mnist): one table per dataset"))
        #expect(mixed.contains("## Table 4: heads on CIFAR-100, top-1 (%)\n"))
    }

    /// Bad input: one-line errors, never a crash.
    @Test func reportRejectsBadInputWithOneLine() throws {
        let root = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: root.file("empty"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.file("broken"), withIntermediateDirectories: true)
        try "{not json".write(to: root.file("broken/config.json"), atomically: true, encoding: .utf8)
        for arguments in [[root.file("empty").path], [root.file("missing").path], [root.file("broken").path], []] {
            do {
                try ReportCommand.parse(arguments + ["--out", root.file("out").path]).run()
                Issue.record("\(arguments) was accepted")
            } catch {
                let message = ReportCommand.message(for: error)
                #expect(!message.isEmpty && !message.contains("\n"), "\(arguments): \(message)")
            }
        }
    }
}
