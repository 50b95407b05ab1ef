import ArgumentParser

@main
struct MPW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpw",
        abstract: "Multi-Proxy Wasserstein classifiers on the CPU: train, evaluate, benchmark.",
        subcommands: [Bench.self, DataCommand.self]
    )
}
