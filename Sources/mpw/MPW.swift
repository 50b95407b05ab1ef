import ArgumentParser
import Foundation
import Kernels

@main
struct MPW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpw",
        abstract: "Multi-Proxy Wasserstein classifiers on the CPU: train, evaluate, classify, explain, reproduce the paper, benchmark.",
        version: MPWVersion.string,
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, ExplainCommand.self, DemoCommand.self, Bench.self, DataCommand.self,
                      ModelsCommand.self, ConvertCommand.self, ExportCommand.self, PresetsCommand.self, SweepCommand.self, ReportCommand.self,
                      DoctorCommand.self, ServeCommand.self]
    )

    static func main() {
        LibraryEnvironment.relaunchWithTunedLibraries()
        do {
            let arguments = Array(CommandLine.arguments.dropFirst())
            try FlagSynonyms.check(arguments)
            main(try PresetExpansion.expandTrainCommand(arguments))
        } catch {
            FileHandle.standardError.write(Data("Error: \(message(for: error))\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }
}
