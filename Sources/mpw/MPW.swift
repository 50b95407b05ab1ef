import ArgumentParser
import Foundation
import Kernels

@main
struct MPW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpw",
        abstract: "Multi-Proxy Wasserstein classifiers on the CPU: train, evaluate, benchmark.",
        subcommands: [TrainCommand.self, EvalCommand.self, DemoCommand.self, Bench.self, DataCommand.self, ModelsCommand.self,
                      PresetsCommand.self, SweepCommand.self, ReportCommand.self]
    )

    static func main() {
        SpinPolicy.applyBoundedSpinningByRelaunching()
        do {
            main(try PresetExpansion.expandTrainCommand(Array(CommandLine.arguments.dropFirst())))
        } catch {
            FileHandle.standardError.write(Data("Error: \(message(for: error))\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }
}
