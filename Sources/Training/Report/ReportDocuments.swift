import Foundation

/// report.md, report.csv and report.json from a `PaperReport`.
extension PaperReport {
    static let tableTitles = [1: "Table 1: CIFAR-10 and CIFAR-10.1, top-1 (%)", 2: "Table 2: CIFAR-100, top-1 (%)",
                              3: "Table 3: ILSVRC2012, top-1 / top-5 (%)", 4: "Table 4: heads on CIFAR-100, top-1 (%)"]

    /// The markdown report: the paper's tables the runs fill, notes, then every run.
    public func markdown(plots: [String] = []) -> String {
        var lines = ["# Report", "",
                     "Each cell: the median over seeds of the final test top-1 (last epoch), [min-max] and (number of seeds); "
                        + "\"paper\" is the paper's median of 5 runs; \"vs GAP-FC\" is the head's top-1 minus GAP-FC's on the same backbone, "
                        + "seed by seed: median [min, max] (pairs). CIFAR-10.1 is the final weights on CIFAR-10.1 (the best checkpoint's is in report.csv).", ""]
        for table in 1...4 {
            for dataset in Set(cells.filter { $0.table == table }.map(\.dataset)).sorted() {
                let group = cells.filter { $0.table == table && $0.dataset == dataset }
                lines.append("## \(Self.tableTitles[table]!)" + (dataset == group[0].paperDataset ? "" : ", runs on \(dataset)"))
                lines.append("")
                lines += table == 4 ? Self.table4(group) : Self.modelRows(group, table: table)
                lines.append("")
            }
        }
        if !notes.isEmpty {
            lines += ["## Notes", ""] + notes.map { "- \($0)" } + [""]
        }
        if !plots.isEmpty {
            lines += ["## Plots", ""] + plots.map { "- [\($0)](\($0))" } + [""]
        }
        lines += ["## Every run", "", "| run | preset | dataset | model | head | seed | epochs | final top-1 | best top-1 (epoch) | top-5 | CIFAR-10.1 | train img/s | Sinkhorn iterations |",
                  "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for run in runs {
            lines.append("| \(run.directory) | \(run.preset ?? "-") | \(run.dataset) | \(run.model) | \(run.head) | \(run.seed) | \(run.epochsDone)/\(run.epochs)\(run.finished ? "" : " (unfinished)") | "
                + "\(Self.number(run.finalTop1)) | \(Self.number(run.bestTop1))\(run.bestEpoch.map { " (\($0))" } ?? "") | \(Self.number(run.finalTop5)) | "
                + "\(Self.number(run.cifar10_1Top1)) | \(Self.number(run.trainImagesPerSecond, 0)) | \(Self.number(run.meanSinkhornIterations)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double?, _ decimals: Int = 2) -> String {
        value.map { String(format: "%.\(decimals)f", $0) } ?? "-"
    }

    static func spread(_ value: SeedSpread?, signed: Bool = false) -> String { value?.text(signed: signed) ?? "-" }

    /// Tables 1-3: a row per backbone and head, in the paper's order.
    static func modelRows(_ group: [Cell], table: Int) -> [String] {
        var header = "| model | row | top-1 | paper |", rule = "| --- | --- | ---: | ---: |"
        if table == 1 { header += " CIFAR-10.1 | paper |"; rule += " ---: | ---: |" }
        if table == 3 { header += " top-5 | paper |"; rule += " ---: | ---: |" }
        var lines = [header + " vs GAP-FC |", rule + " ---: |"]
        for preset in PaperPresets.table(table) {
            guard let cell = group.first(where: { $0.model == preset.model && $0.head == preset.head }) else { continue }
            var line = "| \(cell.paperModel) (\(cell.model)) | \(cell.paperRow) | \(spread(cell.top1)) | \(number(cell.published.top1)) |"
            if table == 1 { line += " \(spread(cell.cifar10_1)) | \(number(cell.published.cifar10_1)) |" }
            if table == 3 { line += " \(spread(cell.top5)) | \(number(cell.published.top5)) |" }
            lines.append(line + " \(cell.head == "gapfc" ? "" : spread(cell.pairedDifferenceToGAPFC, signed: true)) |")
        }
        return lines
    }

    /// Table 4: rows of heads, columns of backbones.
    static func table4(_ group: [Cell]) -> [String] {
        let models = PaperPresets.table4Models.filter { model in group.contains { $0.model == model.model } }
        var lines = ["| head | " + models.map { "\($0.paperModel) (\($0.model)) | paper | vs GAP-FC" }.joined(separator: " | ") + " |",
                     "| --- | " + models.map { _ in "---: | ---: | ---:" }.joined(separator: " | ") + " |"]
        for row in PaperPresets.table4Heads where group.contains(where: { $0.head == row.head }) {
            let cells = models.map { model -> String in
                let paper = model.model == "resnet20" ? row.resnet : row.wideResNet
                guard let cell = group.first(where: { $0.model == model.model && $0.head == row.head }) else { return "- | \(number(paper)) | -" }
                return "\(spread(cell.top1)) | \(number(paper)) | \(row.head == "gapfc" ? "" : spread(cell.pairedDifferenceToGAPFC, signed: true))"
            }
            lines.append("| \(row.row) (\(row.head)) | " + cells.joined(separator: " | ") + " |")
        }
        return lines
    }

    /// One line per run.
    public func csv() -> String {
        let header = "directory,preset,dataset,model,head,seed,epochs_done,epochs,finished,final_top1,final_top5,best_top1,best_epoch,"
            + "cifar10_1_final_top1,cifar10_1_best_top1,train_images_per_second,mean_sinkhorn_iterations,wall_seconds,paper_top1"
        func field(_ text: String) -> String {
            text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func value(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
        let rows = runs.map { r in
            [field(r.directory), field(r.preset ?? ""), field(r.dataset), field(r.model), field(r.head), String(r.seed), String(r.epochsDone),
             String(r.epochs), String(r.finished), value(r.finalTop1), value(r.finalTop5), value(r.bestTop1), r.bestEpoch.map(String.init) ?? "",
             value(r.cifar10_1Top1), value(r.cifar10_1BestTop1), value(r.trainImagesPerSecond), value(r.meanSinkhornIterations),
             value(r.wallSeconds), value(r.paperTop1)].joined(separator: ",")
        }
        return ([header] + rows).joined(separator: "\n") + "\n"
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
