import Foundation
import Models
import MultiProxy
import Tensors

/// The paper's Tables 1-3 printed next to our counts: for each row, the GAP-FC baseline and the
/// MPW head ("Ours"), parameters and FLOPs, each with our difference in percent. Differences
/// beyond 2% are flagged with "!" and the row's notes explain them; a flagged row without notes
/// is marked "unexplained".
struct PaperComparison {
    static let tolerance = 0.02

    private var measured: [String: BackboneMeasurement]

    /// `backbones` are zoo models already measured at their native size, by name.
    init(backbones: [String: BackboneMeasurement]) {
        measured = backbones
    }

    private mutating func backbone(for row: PaperRow) throws -> BackboneMeasurement {
        let key = row.variant == .zoo ? row.model : "\(row.model) \(row.variant)"
        if let known = measured[key] { return known }
        let measurement: BackboneMeasurement
        switch row.variant {
        case .zoo:
            measurement = try BackboneMeasurement(model: row.model)
        case .quarterArea:
            measurement = try BackboneMeasurement(model: row.model, inputSize: ModelZoo.inputSize(of: row.model) / 2)
        case .strideInFirstOneByOne(let depth):
            var generator = RandomGenerator(seed: 1)
            measurement = BackboneMeasurement(backbone: ImageNetResNet(depth: depth, stridePlacement: .firstOneByOne, generator: &generator),
                                              inputSize: try ModelZoo.inputSize(of: row.model))
        }
        measured[key] = measurement
        return measurement
    }

    mutating func print() throws {
        Swift.print("Paper Tables 1-3 (baseline = GAP-FC head, ours = MPW head with M = 4) against our counts.")
        Swift.print("FLOPs are multiply-accumulates of the convolutions, linear layers and heads for one image.")
        var table = TextTable(header: ["paper model", "ours", "dataset", "head", "params paper", "ours", "diff",
                                       "FLOPs paper", "ours", "diff", "notes"],
                              rightAligned: [4, 5, 6, 7, 8, 9])
        var notes: [String] = []
        var unexplained = false
        for row in PaperTables.rows {
            let backbone = try backbone(for: row)
            var lines: [[String]] = []
            var flagged = false
            for (kind, parameters, flops) in [(HeadConfiguration.Kind.gapfc, row.parameters.baseline, row.flops.baseline),
                                              (.mpw, row.parameters.ours, row.flops.ours)] {
                let cost = backbone.cost + backbone.head(HeadConfiguration(kind: kind), classes: row.classes).cost
                let parameterDifference = Difference(ours: cost.parameters, paper: parameters)
                let flopDifference = Difference(ours: cost.multiplyAccumulates, paper: flops)
                flagged = flagged || parameterDifference.isFlagged || flopDifference.isFlagged
                lines.append([kind == .gapfc ? "baseline" : "ours",
                              parameters.text, parameters.formatted(cost.parameters), parameterDifference.text,
                              flops.text, flops.formatted(cost.multiplyAccumulates), flopDifference.text])
            }
            for note in row.notes where !notes.contains(note) { notes.append(note) }
            var markers = row.notes.map { "[\(notes.firstIndex(of: $0)! + 1)]" }.joined()
            if flagged && row.notes.isEmpty {
                markers = "[?]"
                unexplained = true
            }
            let label = row.variant == .zoo ? row.model : "\(row.model) \(row.variant)"
            table.add([row.paperName, label, row.dataset] + lines[0] + [markers])
            table.add(["", "", ""] + lines[1] + [""])
        }
        table.print()
        Swift.print("! more than \(Int(Self.tolerance * 100))% from the paper's figure (itself rounded to the digits shown)")
        for (index, note) in notes.enumerated() {
            Swift.print("[\(index + 1)] " + note)
        }
        if unexplained { Swift.print("[?] unexplained difference") }
    }
}

/// Our count relative to the paper's figure.
struct Difference {
    let fraction: Double

    init(ours: Int, paper: PaperFigure) {
        fraction = Double(ours) / paper.value - 1
    }

    var isFlagged: Bool { abs(fraction) > PaperComparison.tolerance }
    var text: String { String(format: "%+.1f%%", fraction * 100) + (isFlagged ? " !" : "  ") }
}
