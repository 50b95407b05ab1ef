import ArgumentParser
import Kernels

extension ConvolutionAlgorithm: ExpressibleByArgument {}

/// Options every compute command takes.
struct ComputeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for every pool (ours, OpenBLAS, oneDNN). Default: all available cores (under mpirun: shared by the ranks on the host).")
    var threads: Int?

    @Option(help: "Convolution sums: automatic (Winograd where it is faster: 3x3 stride 1, wide layers; oneDNN's on AVX-512, our own elsewhere), direct (as PyTorch's CPU kernels), or winograd.")
    var convolutions = ConvolutionAlgorithm.automatic

    func validate() throws {
        try requireCounts(("--threads", threads))
    }

    func apply() {
        Threads.set(threads ?? DistributedOptions.defaultThreads)
        Convolution.algorithm = convolutions
    }
}

/// `--json` for commands that print a report.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
}
