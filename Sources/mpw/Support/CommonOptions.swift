import ArgumentParser
import Kernels

/// Options every compute command takes.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for every pool (ours, OpenBLAS, oneDNN). Default: all available cores (under mpirun: shared by the ranks on the host).")
    var threads: Int?

    func validate() throws {
        try requireCounts(("--threads", threads))
    }

    func apply() {
        Threads.set(threads ?? DistributedOptions.defaultThreads)
    }
}

/// `--json` for commands that print a report.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
}
