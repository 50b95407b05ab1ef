/// Every experiment of the paper's Tables 1-4 as a preset, with the published numbers.
public enum PaperPresets {
    public typealias Published = PaperPreset.Published

    /// One CIFAR backbone's published figures: (baseline, ours) per dataset.
    struct CIFARRow {
        let paperModel: String
        let model: String
        let cifar10: (Published, Published)
        let cifar100: (Published, Published)
    }

    static let cifarRows: [CIFARRow] = [
        CIFARRow(paperModel: "ResNet-18", model: "resnet20",
                 cifar10: (Published(top1: 92.26, cifar10_1: 83.55), Published(top1: 92.85, cifar10_1: 84.45)),
                 cifar100: (Published(top1: 69.95), Published(top1: 71.60))),
        CIFARRow(paperModel: "ResNet-110", model: "resnet110",
                 cifar10: (Published(top1: 94.03, cifar10_1: 86.15, originalPaper: 93.57), Published(top1: 94.50, cifar10_1: 87.05)),
                 cifar100: (Published(top1: 73.25), Published(top1: 75.27))),
        CIFARRow(paperModel: "WRN40-2", model: "wrn40_2",
                 cifar10: (Published(top1: 95.09, cifar10_1: 87.60, originalPaper: 94.80), Published(top1: 95.13, cifar10_1: 89.20)),
                 cifar100: (Published(top1: 76.22, originalPaper: 74.73), Published(top1: 77.12))),
        CIFARRow(paperModel: "WRN28-10", model: "wrn28_10",
                 cifar10: (Published(top1: 95.95, cifar10_1: 89.80, originalPaper: 95.83), Published(top1: 96.09, cifar10_1: 91.15)),
                 cifar100: (Published(top1: 80.14, originalPaper: 80.13), Published(top1: 80.71))),
        CIFARRow(paperModel: "DenseNet100", model: "densenet100",
                 cifar10: (Published(top1: 94.75, cifar10_1: 88.20, originalPaper: 94.23), Published(top1: 95.08, cifar10_1: 87.90)),
                 cifar100: (Published(top1: 76.82, originalPaper: 76.21), Published(top1: 77.57))),
        CIFARRow(paperModel: "PyramidNet200", model: "pyramidnet200",
                 cifar10: (Published(top1: 96.83, cifar10_1: 88.15, originalPaper: 97.12), Published(top1: 97.32, cifar10_1: 88.60)),
                 cifar100: (Published(top1: 84.96, originalPaper: 85.53), Published(top1: 85.28))),
    ]

    static let imageNetRows: [(paperModel: String, model: String, baseline: Published, ours: Published)] = [
        ("ResNet-18", "resnet18", Published(top1: 69.76, top5: 89.06), Published(top1: 71.08, top5: 89.95)),
        ("ResNet-50", "resnet50", Published(top1: 76.15, top5: 92.87), Published(top1: 76.96, top5: 93.33)),
        ("ResNet-101", "resnet101", Published(top1: 77.37, top5: 93.56), Published(top1: 77.94, top5: 93.87)),
    ]

    /// Table 4's rows in the paper's order: head, the paper's row name, ResNet-18 and WRN40-2 top-1.
    public static let table4Heads: [(head: String, row: String, resnet: Double, wideResNet: Double)] = [
        ("gapfc", "Baseline", 69.95, 76.22),
        ("multifc-avg", "Baseline + Multi-FC Average", 69.94, 76.23),
        ("multifc-flatten", "Baseline + Multi-FC Flatten", 69.32, 75.07),
        ("multifc-cosine", "Baseline + Multi-FC Cosine", 70.06, 76.42),
        ("bilinear", "Baseline + Bilinear", 69.02, 74.00),
        ("wsdan", "Baseline + WS-DAN", 69.40, 74.52),
        ("mpw", "Ours", 71.60, 77.12),
    ]

    /// Table 4's backbones: the zoo's model and the paper's name.
    public static let table4Models: [(model: String, paperModel: String)] = [("resnet20", "ResNet-18"), ("wrn40_2", "WRN40-2")]

    public static let all: [PaperPreset] = cifarPresets + imageNetPresets + table4Presets

    public static func named(_ name: String) -> PaperPreset? { all.first { $0.name == name } }

    /// The presets of one table, in the paper's row order.
    public static func table(_ number: Int) -> [PaperPreset] { all.filter { $0.table == number } }

    static let headNames = ["gapfc": "GAP-FC head (the baseline)", "mpw": "multi-proxy Wasserstein head (M = 4, p = 1, lambda 0.1, threshold 0.1, 100 iterations)"]

    static var cifarPresets: [PaperPreset] {
        [("cifar10", 1), ("cifar100", 2)].flatMap { dataset, table in
            cifarRows.flatMap { row -> [PaperPreset] in
                let published = dataset == "cifar10" ? row.cifar10 : row.cifar100
                let recipe = PaperRecipes.cifar(row.model)
                return [("gapfc", "Baseline", published.0), ("mpw", "Ours", published.1)].map { head, paperRow, numbers in
                    PaperPreset(
                        name: "\(dataset)-\(row.model)-\(head)", table: table, paperModel: row.paperModel, paperRow: paperRow,
                        dataset: dataset, model: row.model, head: head,
                        description: "Table \(table), \(row.paperModel) \(paperRow.lowercased()) on \(dataset == "cifar10" ? "CIFAR-10" : "CIFAR-100") "
                            + "with the \(headNames[head]!). \(recipe.description)",
                        settings: [.init("--dataset", dataset), .init("--model", row.model)] + recipe.settings + PaperRecipes.head(head),
                        published: numbers)
                }
            }
        }
    }

    static var imageNetPresets: [PaperPreset] {
        imageNetRows.flatMap { row in
            [("gapfc", "Baseline", row.baseline), ("mpw", "Ours", row.ours)].map { head, paperRow, numbers in
                PaperPreset(
                    name: "imagenet-\(row.model)-\(head)", table: 3, paperModel: row.paperModel, paperRow: paperRow, dataset: "folder",
                    model: row.model, head: head,
                    description: "Table 3, \(row.paperModel) \(paperRow.lowercased()) on ILSVRC2012 with the \(headNames[head]!). "
                        + PaperRecipes.imageNet.description,
                    settings: [.init("--model", row.model)] + PaperRecipes.imageNet.settings + PaperRecipes.head(head), published: numbers)
            }
        }
    }

    static var table4Presets: [PaperPreset] {
        table4Models.flatMap { model, paperModel in
            let recipe = PaperRecipes.cifar(model)
            return table4Heads.map { head, row, resnet, wideResNet in
                PaperPreset(
                    name: "table4-\(model)-\(head)", table: 4, paperModel: paperModel, paperRow: row, dataset: "cifar100", model: model,
                    head: head,
                    description: "Table 4, \(paperModel) on CIFAR-100, row \"\(row)\": the \(head) head on the recipe of cifar100-\(model)-gapfc. "
                        + recipe.description,
                    settings: [.init("--dataset", "cifar100"), .init("--model", model)] + recipe.settings + PaperRecipes.head(head),
                    published: Published(top1: model == "resnet20" ? resnet : wideResNet))
            }
        }
    }
}
