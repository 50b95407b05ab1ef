import ArgumentParser
import Foundation
import Tensors
import Training

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Tabulate and plot run directories (a sweep's or any): the paper's tables where the runs fit them, every run otherwise.",
        discussion: """
            Writes report.md (the paper's Tables 1-4 for runs started from presets: median over seeds [min-max] (seeds), \
            the paper's number beside it, and each head's paired difference to GAP-FC over the same seeds; then every run), \
            report.csv (one line per run), report.json, and for each dataset and backbone SVG and PNG plots of test top-1, \
            training loss, learning rate, images per second and mean Sinkhorn iterations per epoch.
            """
    )

    @Argument(help: "Run directories or folders holding them (searched recursively).")
    var directories: [String] = []

    @Option(help: "Directory for the report (default: report/ in the first directory).")
    var out: String?

    @Flag(help: "Write the tables and data only, no plots.")
    var noPlots = false

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one run directory or folder of runs") }
    }

    func run() throws {
        let collection: RunCollection
        do {
            collection = try RunCollection(paths: directories)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let report = PaperReport(collection) { name in try? TrainCommand.parseWithPreset(["--preset", name]).resolvedConfiguration() }
        let output = URL(fileURLWithPath: out ?? URL(fileURLWithPath: directories[0]).appendingPathComponent("report").path)
        do {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("--out \(output.path): cannot create the directory (\(error.localizedDescription))")
        }
        var plots: [String] = []
        if !noPlots {
            for (name, chart) in ReportPlots.charts(collection.runs) {
                let drawing = chart.drawing()
                try AtomicFile.write(Data(SVGRenderer.svg(drawing).utf8), to: output.appendingPathComponent("\(name).svg"))
                try AtomicFile.write(try Rasterizer.png(drawing), to: output.appendingPathComponent("\(name).png"))
                plots.append("\(name).svg")
            }
        }
        try AtomicFile.write(Data(report.markdown(plots: plots).utf8), to: output.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(report.csv().utf8), to: output.appendingPathComponent("report.csv"))
        try AtomicFile.write(try report.json(), to: output.appendingPathComponent("report.json"))
        print("\(collection.runs.count) runs (\(collection.runs.filter { $0.summary != nil }.count) finished), \(report.cells.count) table cells, \(plots.count) plots")
        for note in report.notes { print("note: \(note)") }
        print("report: \(output.appendingPathComponent("report.md").path)")
    }
}
