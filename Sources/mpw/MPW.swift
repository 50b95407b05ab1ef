import ArgumentParser
import Kernels

@main
struct MPW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpw",
        abstract: "Multi-Proxy Wasserstein classifiers on the CPU: train, evaluate, classify, explain, benchmark.",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, ExplainCommand.self, DemoCommand.self, Bench.self, DataCommand.self,
                      ModelsCommand.self, ConvertCommand.self]
    )

    static func main() {
        SpinPolicy.applyBoundedSpinningByRelaunching()
        main(nil)
    }
}
