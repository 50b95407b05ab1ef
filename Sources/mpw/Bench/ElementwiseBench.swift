import ArgumentParser
import Foundation
import Kernels
import Tensors

struct ElementwiseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elementwise",
        abstract: "Memory bandwidth of elementwise tensor ops and the sum reduction, against memcpy.",
        discussion: "GB/s counts every byte read and written: 12 bytes per element for a + b, 8 for exp(a), 4 for sum(a), 8 for memcpy, 6 for the bfloat16 conversions."
    )

    @Option(help: "Elements per tensor.")
    var count = 16 << 20

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--count", count))
    }

    func run() throws {
        compute.apply()
        var generator = RandomGenerator(seed: 1)
        let a = Tensor.randomUniform([count], lower: -1, upper: 1, generator: &generator)
        let b = Tensor.randomUniform([count], lower: -1, upper: 1, generator: &generator)
        let bytes = Double(count * MemoryLayout<Float>.stride)

        func gigabytesPerSecond(_ moved: Double, _ body: () -> Void) -> Double {
            moved / Timing.median(minimumRuns: 10, minimumSeconds: 0.5, body) / 1e9
        }

        let destination = UnsafeMutableRawPointer.allocate(byteCount: Int(bytes), alignment: 64)
        defer { destination.deallocate() }
        memset(destination, 0, Int(bytes))
        let memcpyRate = gigabytesPerSecond(2 * bytes) {
            a.withUnsafeBufferPointer { source in
                VectorLoops.chunked(count) { range in
                    memcpy(destination + range.lowerBound * 4, source.baseAddress! + range.lowerBound, range.count * 4)
                }
            }
        }
        var report = Report()
        report.add("threads", "threads", Threads.count)
        report.add("elements", "elements", count)
        report.add("memcpy_gbps", "memcpy GB/s", memcpyRate)
        let add = gigabytesPerSecond(3 * bytes) { _ = a + b }
        report.add("add_gbps", "add GB/s", add)
        report.add("mul_gbps", "mul GB/s", gigabytesPerSecond(3 * bytes) { _ = a * b })
        report.add("exp_gbps", "exp GB/s", gigabytesPerSecond(2 * bytes) { _ = a.exp() })
        report.add("sum_gbps", "sum GB/s", gigabytesPerSecond(bytes) { _ = a.sum() })
        report.add("add_vs_memcpy", "add / memcpy", add / memcpyRate, decimals: 2)
        let rounded = BFloat16Buffer(count: count)
        let widened = Tensor(uninitializedShape: [count])
        report.add("to_bf16_gbps", "float32 -> bf16 GB/s", gigabytesPerSecond(1.5 * bytes) {
            a.withUnsafeBufferPointer { BFloat16.round($0.baseAddress!, into: rounded.pointer, count: count) }
        })
        report.add("from_bf16_gbps", "bf16 -> float32 GB/s", gigabytesPerSecond(1.5 * bytes) {
            BFloat16.widen(rounded.pointer, into: widened.storage.pointer, count: count)
        })
        report.print(json: output.json)
    }
}
