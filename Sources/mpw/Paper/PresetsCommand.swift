import ArgumentParser
import Foundation
import Training

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "The paper's experiments (Tables 1-4) as presets for `mpw train --preset` and `mpw sweep`.",
        discussion: "Each preset lists the train flags it sets (flags given with it override them), its recipe with sources, and the paper's published top-1 (median of 5 runs)."
    )

    @Option(help: "Only the presets of this table (1-4).")
    var table: Int?

    @Option(help: "Only this preset, with its full description.")
    var name: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let table, !(1...4).contains(table) { throw ValidationError("--table must be 1, 2, 3 or 4, got \(table)") }
        if let name, PaperPresets.named(name) == nil { throw ValidationError(PresetExpansion.unknown(name)) }
    }

    var selected: [PaperPreset] {
        PaperPresets.all.filter { preset in (table.map { preset.table == $0 } ?? true) && (name.map { preset.name == $0 } ?? true) }
    }

    func run() throws {
        if output.json {
            print(try Self.json(selected))
            return
        }
        var table = TextTable(header: ["preset", "table", "paper row", "paper top-1", "settings"], rightAligned: [1, 3])
        for preset in selected {
            let extra = [preset.published.top5.map { "top-5 \(String(format: "%.2f", $0))" },
                         preset.published.cifar10_1.map { "CIFAR-10.1 \(String(format: "%.2f", $0))" }].compactMap { $0 }
            table.add([preset.name, String(preset.table), "\(preset.paperModel) \(preset.paperRow)",
                       String(format: "%.2f", preset.published.top1) + (extra.isEmpty ? "" : " (\(extra.joined(separator: ", ")))"),
                       preset.arguments.joined(separator: " ")])
        }
        table.print()
        if selected.count == 1, let preset = selected.first {
            print("\n\(preset.description)")
        } else {
            print("\n`mpw presets --name NAME` shows a preset's recipe and sources; `--json` prints everything.")
        }
    }

    static func json(_ presets: [PaperPreset]) throws -> String {
        let objects: [[String: Any]] = presets.map { preset in
            var published: [String: Any] = ["top1": preset.published.top1]
            published["top5"] = preset.published.top5
            published["cifar10_1"] = preset.published.cifar10_1
            published["original_paper"] = preset.published.originalPaper
            return ["name": preset.name, "table": preset.table, "paper_model": preset.paperModel, "paper_row": preset.paperRow,
                    "dataset": preset.dataset, "model": preset.model, "head": preset.head, "description": preset.description,
                    "arguments": preset.arguments, "published": published]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}
