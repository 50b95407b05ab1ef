import ArgumentParser
import Kernels

@main
struct MPW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpw",
        abstract: "Multi-Proxy Wasserstein classifiers on the CPU: train, evaluate, benchmark.",
        subcommands: [TrainCommand.self, EvalCommand.self, DemoCommand.self, Bench.self, DataCommand.self, ModelsCommand.self, ConvertCommand.self]
    )

    static func main() {
        SpinPolicy.applyBoundedSpinningByRelaunching()
        main(nil)
    }
}
