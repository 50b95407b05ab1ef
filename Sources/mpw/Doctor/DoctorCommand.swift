import ArgumentParser
import Foundation
import Kernels

/// `mpw doctor`: one screen describing this machine and build, to paste into a bug report.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Describe this CPU, the libraries, the kernels and build in use, and whether bf16 pays here (paste it into bug reports).")

    @Option(help: "Seconds for the bf16 against fp32 convolution probe.")
    var probeSeconds = 1.0

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard probeSeconds > 0, probeSeconds <= 60 else { throw ValidationError("--probe-seconds must be in (0, 60], got \(probeSeconds)") }
    }

    func run() throws {
        compute.apply()
        let report = DoctorReport.collect(probeSeconds: probeSeconds)
        if output.json {
            let data = try JSONSerialization.data(withJSONObject: report.jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.lines.joined(separator: "\n"))
        }
    }
}
