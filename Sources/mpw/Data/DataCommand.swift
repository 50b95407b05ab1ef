import ArgumentParser

/// `mpw data ...`: looking at datasets before training on them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Look at a dataset: counts, image size, channel statistics, a contact sheet.",
        subcommands: [DataInspect.self]
    )
}
