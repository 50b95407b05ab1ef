import ArgumentParser
import Kernels
import Tensors

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of square single-precision matrix products through Tensor.matmul (cblas_sgemm)."
    )

    @Option(parsing: .upToNextOption, help: "Matrix sizes.")
    var sizes: [Int] = [256, 512, 1024, 2048]

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--sizes", sizes.first(where: { $0 < 1 })))
    }

    func run() throws {
        compute.apply()
        var report = Report()
        report.add("threads", "threads", Threads.count)
        report.add("blas_threading", "BLAS threading", Threads.blasThreading)
        for n in sizes {
            var generator = RandomGenerator(seed: UInt64(n))
            let a = Tensor.randomNormal([n, n], generator: &generator)
            let b = Tensor.randomNormal([n, n], generator: &generator)
            let seconds = Timing.median(minimumRuns: 5, minimumSeconds: 1) { _ = Tensor.matmul(a, b) }
            report.add("gflops_\(n)", "sgemm \(n)³ GFLOP/s", 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        report.print(json: output.json)
    }
}
