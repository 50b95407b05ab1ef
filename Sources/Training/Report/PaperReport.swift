import Foundation

/// Runs laid out as the paper's tables: every finished run started from a preset lands in its
/// table's cell (model, head) for the dataset it actually ran on; each cell holds the median over
/// seeds with the range, the paper's number and the paired difference to GAP-FC over the same seeds.
public struct PaperReport: Codable {
    /// One run, for the table of every run, report.csv and report.json. Accuracies in percent.
    public struct Run: Codable {
        public var directory: String
        public var preset: String?
        public var dataset: String
        public var model: String
        public var head: String
        public var seed: UInt64
        public var epochsDone: Int
        public var epochs: Int
        public var finished: Bool
        public var finalTop1: Double?
        public var finalTop5: Double?
        public var bestTop1: Double?
        public var bestEpoch: Int?
        public var cifar10_1Top1: Double?
        public var cifar10_1BestTop1: Double?
        public var trainImagesPerSecond: Double?
        public var meanSinkhornIterations: Double?
        public var wallSeconds: Double?
        public var paperTop1: Double?
    }

    /// One cell of a paper table: an experiment on the dataset its runs used.
    public struct Cell: Codable {
        public var table: Int
        public var dataset: String
        public var paperDataset: String
        public var model: String
        public var paperModel: String
        public var head: String
        public var paperRow: String
        public var top1: SeedSpread?
        public var top5: SeedSpread?
        public var cifar10_1: SeedSpread?
        public var published: Published
        /// This head's top-1 minus GAP-FC's on the same backbone and seeds.
        public var pairedDifferenceToGAPFC: SeedSpread?
        public var runs: [String]
    }

    public struct Published: Codable {
        public var top1: Double
        public var top5: Double?
        public var cifar10_1: Double?
    }

    public var runs: [Run]
    public var cells: [Cell]
    public var notes: [String]

    /// Settings that may differ between the seeds of one cell.
    static let perRunKeys: Set<String> = ["seed", "threads", "workers", "dataDirectory", "cifar10_1Directory", "preset"]

    /// - Parameters:
    ///   - collection: the run directories found, finished or not.
    ///   - presetConfiguration: a preset's resolved configuration, to name the settings
    ///     the runs changed (nil: not compared).
    public init(_ collection: RunCollection, presetConfiguration: (String) -> TrainingConfiguration? = { _ in nil }) {
        var notes = collection.notes
        runs = collection.runs.map(Self.run)
        let unfinished = collection.runs.filter { $0.summary == nil }
        if !unfinished.isEmpty {
            notes.append("\(unfinished.count) unfinished run(s) appear only in the table of every run: "
                + unfinished.map { "\($0.path) (\($0.metrics.count)/\($0.configuration.epochs) epochs)" }.joined(separator: ", "))
        }
        let finished = collection.runs.filter { $0.summary != nil }
        let withoutPreset = finished.filter { $0.preset == nil }
        if !withoutPreset.isEmpty {
            notes.append("\(withoutPreset.count) finished run(s) without a paper preset appear only in the table of every run")
        }
        var groups: [String: [RunRecord]] = [:]
        var order: [String] = []
        for run in finished {
            guard let preset = run.preset else { continue }
            for table in Self.tables(of: preset) {
                let key = "\(table)|\(run.configuration.dataset)|\(preset.model)|\(preset.head)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(run)
            }
        }
        var cells: [Cell] = []
        var top1BySeed: [[UInt64: Double]] = []
        for key in order {
            let members = groups[key]!
            let parts = key.split(separator: "|").map(String.init)
            let table = Int(parts[0])!
            let preset = members[0].preset!
            let published = Self.published(table: table, model: preset.model, head: preset.head) ?? preset.published
            var top1: [UInt64: Double] = [:], top5: [UInt64: Double] = [:], shifted: [UInt64: Double] = [:]
            for run in members {
                let seed = run.configuration.seed
                if top1[seed] != nil {
                    notes.append("Table \(table), \(preset.model) \(preset.head) on \(parts[1]): seed \(seed) appears twice; \(run.path) is left out")
                    continue
                }
                top1[seed] = 100 * run.summary!.finalTop1
                top5[seed] = 100 * run.summary!.finalTop5
                if let c = run.summary!.cifar10_1Final { shifted[seed] = 100 * c.top1 }
            }
            let mixed = Set(members.dropFirst().flatMap { ConfigurationDifference.fields($0.configuration, members[0].configuration, ignoring: Self.perRunKeys) })
            if !mixed.isEmpty {
                notes.append("Table \(table), \(preset.model) \(preset.head) on \(parts[1]): its runs differ in \(mixed.sorted().joined(separator: ", ")) (one run against \(members[0].path))")
            }
            cells.append(Cell(table: table, dataset: parts[1], paperDataset: preset.dataset, model: preset.model, paperModel: preset.paperModel,
                              head: preset.head, paperRow: Self.row(table: table, head: preset.head, preset: preset),
                              top1: SeedSpread(top1), top5: SeedSpread(top5), cifar10_1: SeedSpread(shifted),
                              published: Published(top1: published.top1, top5: published.top5, cifar10_1: published.cifar10_1),
                              pairedDifferenceToGAPFC: nil, runs: members.map(\.path)))
            top1BySeed.append(top1)
        }
        // Paired differences to GAP-FC, seed by seed.
        for index in cells.indices where cells[index].head != "gapfc" {
            let cell = cells[index]
            guard let baseline = cells.firstIndex(where: { $0.table == cell.table && $0.dataset == cell.dataset && $0.model == cell.model && $0.head == "gapfc" })
            else { continue }
            cells[index].pairedDifferenceToGAPFC = SeedSpread.paired(top1BySeed[index], minus: top1BySeed[baseline])
        }
        for table in 1...4 {
            let datasets = Set(cells.filter { $0.table == table }.map(\.dataset))
            if datasets.count > 1 {
                notes.append("Table \(table) has runs on \(datasets.count) datasets (\(datasets.sorted().joined(separator: ", "))): one table per dataset")
            }
            for dataset in datasets.sorted() {
                let paperDataset = cells.first { $0.table == table }!.paperDataset
                if dataset != paperDataset {
                    notes.append("Table \(table) on \(dataset): the paper's numbers are on \(paperDataset) and are shown for the layout only")
                }
            }
        }
        var overrides = Set<String>()
        for run in finished {
            guard let name = run.configuration.preset, let reference = presetConfiguration(name) else { continue }
            overrides.formUnion(ConfigurationDifference.fields(run.configuration, reference, ignoring: Self.perRunKeys))
        }
        if !overrides.isEmpty {
            notes.append("the runs changed their presets' settings (run value, preset value): \(overrides.sorted().joined(separator: "; "))")
        }
        self.cells = cells
        self.notes = notes
    }

    /// Table 2's ResNet-18 and WRN40-2 rows are Table 4's baseline and "ours" rows, so those runs fill both.
    static func tables(of preset: PaperPreset) -> [Int] {
        let shared = preset.dataset == "cifar100" && PaperPresets.table4Models.contains { $0.model == preset.model } && ["gapfc", "mpw"].contains(preset.head)
        guard shared else { return [preset.table] }
        return preset.table == 2 ? [2, 4] : [4, 2]
    }

    static func published(table: Int, model: String, head: String) -> PaperPreset.Published? {
        PaperPresets.table(table).first { $0.model == model && $0.head == head }?.published
    }

    static func row(table: Int, head: String, preset: PaperPreset) -> String {
        PaperPresets.table(table).first { $0.model == preset.model && $0.head == head }?.paperRow ?? preset.paperRow
    }

    static func run(_ record: RunRecord) -> Run {
        let s = record.summary
        return Run(directory: record.path, preset: record.configuration.preset, dataset: record.configuration.dataset,
                   model: record.configuration.model, head: record.configuration.head.kind, seed: record.configuration.seed,
                   epochsDone: record.metrics.count, epochs: record.configuration.epochs, finished: s != nil,
                   finalTop1: s.map { 100 * $0.finalTop1 }, finalTop5: s.map { 100 * $0.finalTop5 }, bestTop1: s.map { 100 * $0.bestTop1 },
                   bestEpoch: s?.bestEpoch, cifar10_1Top1: s?.cifar10_1Final.map { 100 * $0.top1 }, cifar10_1BestTop1: s?.cifar10_1Best.map { 100 * $0.top1 },
                   trainImagesPerSecond: s?.trainImagesPerSecond, meanSinkhornIterations: s?.meanSinkhornIterations, wallSeconds: s?.wallSeconds,
                   paperTop1: record.preset?.published.top1)
    }
}
