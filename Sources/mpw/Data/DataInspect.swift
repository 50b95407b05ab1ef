import ArgumentParser
import Datasets
import Foundation

/// `mpw data inspect`: what a person checks before training on a dataset.
struct DataInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Counts per split and class, image size, channel mean/std, and a PNG contact sheet.",
        discussion: "The statistics and the contact sheet cover --split. Image folders are decoded for the statistics, so by default only their first 2000 images are used (--stats-limit)."
    )

    @OptionGroup var selection: DatasetSelection

    @Option(help: "Split for the statistics and the contact sheet: train or test (default: train, or the only split).")
    var split: DatasetSplit?

    @Option(help: ArgumentHelp("Images used for the channel statistics (default: all; 2000 for image folders).", valueName: "n"))
    var statsLimit: Int?

    @Option(help: ArgumentHelp("Write a PNG contact sheet (one row per class) to this file.", valueName: "file.png"))
    var sheet: String?

    @Option(help: "Images per class on the contact sheet.")
    var sheetPerClass = 8

    @Option(help: "Classes (rows) at most on the contact sheet.")
    var sheetClasses = 20

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--stats-limit", statsLimit), ("--sheet-per-class", sheetPerClass), ("--sheet-classes", sheetClasses))
    }

    func run() throws {
        compute.apply()
        let kind = selection.dataset
        let split = self.split ?? kind.splits[0]
        let dataset = try selection.open(split)
        var report = Report()
        report.add("dataset", "dataset", kind.rawValue)
        report.add("directory", "directory", selection.resolvedDirectory)
        var counts: [DatasetSplit: [Int]] = [split: dataset.classCounts()]
        for other in kind.splits {
            guard other != split else {
                report.add("\(other.rawValue)_images", "\(other.rawValue) images", dataset.count)
                continue
            }
            do {
                let opened = try selection.open(other)
                counts[other] = opened.classCounts()
                report.add("\(other.rawValue)_images", "\(other.rawValue) images", opened.count)
            } catch {
                report.add("\(other.rawValue)_images", "\(other.rawValue) images", "unavailable: \(error)")
            }
        }
        report.add("classes", "classes", dataset.classNames.count)
        report.add("image_size", "image size (CxHxW)", Self.sizeDescription(dataset))
        if !dataset.skippedFiles.isEmpty {
            report.add("skipped_files", "skipped unreadable files", dataset.skippedFiles.count)
            report.add("skipped_examples", "first skipped", dataset.skippedFiles.prefix(3).joined(separator: ", "))
        }
        let limit = statsLimit ?? (dataset.height == nil ? 2000 : nil)
        let statistics = try ChannelStatistics.compute(dataset, limit: limit)
        let format = { (values: [Double]) in values.map { String(format: "%.4f", $0) }.joined(separator: " ") }
        report.add("\(split.rawValue)_mean", "\(split.rawValue) channel mean", format(statistics.mean))
        report.add("\(split.rawValue)_std", "\(split.rawValue) channel std", format(statistics.standardDeviation))
        report.add("statistics_images", "images in the statistics", statistics.imageCount)
        for (countedSplit, perClass) in counts.sorted(by: { $0.key.rawValue > $1.key.rawValue }) {
            report.add("\(countedSplit.rawValue)_class_counts", "\(countedSplit.rawValue) per class",
                       perClass.map(String.init).joined(separator: " "))
        }
        if let sheet {
            let layout = ContactSheet.Layout(imagesPerClass: sheetPerClass, maximumClasses: sheetClasses)
            let title = "\(kind.rawValue) \(split.rawValue)"
            try ContactSheet.write(dataset, title: title, to: sheet, layout: layout)
            report.add("sheet", "contact sheet", sheet)
        }
        report.print(json: output.json)
        if !output.json { printClassTable(dataset.classNames, counts: counts) }
    }

    private func printClassTable(_ names: [String], counts: [DatasetSplit: [Int]]) {
        let splits = selection.dataset.splits.filter { counts[$0] != nil }
        var table = TextTable(header: ["class", "name"] + splits.map(\.rawValue), rightAligned: Set(2..<(2 + splits.count)))
        for (label, name) in names.enumerated() {
            table.add([String(label), name] + splits.map { String(counts[$0]?[label] ?? 0) })
        }
        print("")
        table.print()
    }

    /// "1x28x28", or for image folders the range of sizes found in the headers.
    static func sizeDescription(_ dataset: any Dataset) -> String {
        if let height = dataset.height, let width = dataset.width {
            return "\(dataset.channels)x\(height)x\(width)"
        }
        guard let folder = dataset as? ImageFolderDataset, !folder.samples.isEmpty else { return "\(dataset.channels)x(varies)" }
        let areas = folder.samples.sorted { $0.height * $0.width < $1.height * $1.width }
        let describe = { (sample: ImageFolderDataset.Sample) in "\(sample.height)x\(sample.width)" }
        return "\(dataset.channels)x(varies: \(describe(areas[0])) to \(describe(areas[areas.count - 1])), median \(describe(areas[areas.count / 2])))"
    }
}

