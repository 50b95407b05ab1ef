import ArgumentParser
import Models
import MultiProxy

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Every backbone with every head: parameters and multiply-accumulates, next to the paper's Tables 1-3.",
        discussion: """
            Parameters are trainable scalars. MACs are the multiply-accumulates the layers report \
            while one 3-channel image of the model's input size (32 for CIFAR, 224 for ImageNet) \
            passes through: the paper's "FLOPs". The text output then compares the GAP-FC and MPW \
            rows of the paper's Tables 1-3 with our counts and explains every gap beyond 2%.
            """
    )

    @Option(help: "Number of classes K.")
    var classes = 10

    @Option(parsing: .upToNextOption,
            help: "Heads to list, space- or comma-separated (default: all): \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var heads: [String] = HeadConfiguration.Kind.allCases.map(\.rawValue)

    @Option(help: "Proxies per class M (MPW, Multi-FC average/cosine) or attention maps (WS-DAN).")
    var proxies = 4

    @OptionGroup var compute: ComputeOptions

    @Flag(help: "Print a JSON array of {model, head, classes, parameters, macs} instead of tables.")
    var json = false

    func validate() throws {
        try requireCounts(("--classes", classes), ("--proxies", proxies))
        for name in headNames where HeadConfiguration.Kind(rawValue: name) == nil {
            throw ValidationError("unknown head \(name); choose from \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if headKinds.isEmpty { throw ValidationError("--heads needs at least one head") }
    }

    private var headNames: [String] {
        heads.flatMap { $0.split(separator: ",").map(String.init) }
    }

    var headKinds: [HeadConfiguration.Kind] { headNames.compactMap(HeadConfiguration.Kind.init(rawValue:)) }

    struct Listing {
        let model: String
        let inputSize: Int
        let featureShape: [Int]
        let head: HeadConfiguration.Kind
        let cost: ModelCost
        let extrapolated: Bool
    }

    func run() throws {
        compute.apply()
        var listings: [Listing] = []
        var backbones: [String: BackboneMeasurement] = [:]
        for model in ModelZoo.names {
            let backbone = try BackboneMeasurement(model: model)
            backbones[model] = backbone
            for head in headKinds {
                let (headCost, extrapolated) = backbone.head(HeadConfiguration(kind: head, proxies: proxies), classes: classes)
                listings.append(Listing(model: model, inputSize: backbone.inputSize, featureShape: Array(backbone.features.shape.dropFirst()),
                                        head: head, cost: backbone.cost + headCost, extrapolated: extrapolated))
            }
        }
        if json {
            print(jsonText(listings))
            return
        }
        printListing(listings)
        print()
        var comparison = PaperComparison(backbones: backbones)
        try comparison.print()
    }

    func jsonText(_ listings: [Listing]) -> String {
        let objects = listings.map { listing in
            "{\"model\": \"\(listing.model)\", \"head\": \"\(listing.head.rawValue)\", \"classes\": \(classes), "
                + "\"parameters\": \(listing.cost.parameters), \"macs\": \(listing.cost.multiplyAccumulates)}"
        }
        return "[\n  " + objects.joined(separator: ",\n  ") + "\n]"
    }

    func printListing(_ listings: [Listing]) {
        print("Backbones x heads, \(classes) classes, M = \(proxies) (MACs of one image at the model's input size)")
        var table = TextTable(header: ["model", "input", "features", "head", "parameters", "MACs"], rightAligned: [1, 4, 5])
        for listing in listings {
            let features = listing.featureShape.map(String.init).joined(separator: "x")
            table.add([listing.model, "\(listing.inputSize)", features, listing.head.rawValue,
                       CountFormat.parameters(listing.cost.parameters) + (listing.extrapolated ? "*" : ""),
                       CountFormat.multiplyAccumulates(listing.cost.multiplyAccumulates) + (listing.extrapolated ? "*" : "")])
        }
        table.print()
        if listings.contains(where: \.extrapolated) {
            print("* Not built: the head alone would exceed \(BackboneMeasurement.largestBuiltHead / 1_000_000)M parameters. "
                  + "Measured with 1 and 2 classes and extrapolated (heads grow linearly with the classes).")
        }
    }
}
