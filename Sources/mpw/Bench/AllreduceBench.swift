import ArgumentParser
import Distributed
import Foundation

struct AllreduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Float32 allreduce (sum) bandwidth across the ranks of an mpirun job.",
        discussion: """
            Run it under mpirun, for example `mpirun -np 2 --oversubscribe --bind-to none mpw bench allreduce`. \
            For each message size, the median time of one in-place allreduce (every rank runs the same fixed repetitions), \
            the algorithm bandwidth (bytes / time) and the bus bandwidth (algorithm bandwidth x 2(N-1)/N, the traffic a \
            ring allreduce puts on each link). Without mpirun it measures the one-process group (a no-op).
            """
    )

    @Option(help: "Smallest message in bytes (default 1 KB).")
    var minBytes = 1024

    @Option(help: "Largest message in bytes (default 64 MB).")
    var maxBytes = 64 << 20

    @Option(help: "Seconds a collective may wait for the other ranks before the job is aborted.")
    var collectiveTimeout = World.defaultTimeout

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--min-bytes", minBytes), ("--max-bytes", maxBytes))
        if minBytes > maxBytes { throw ValidationError("--min-bytes \(minBytes) is larger than --max-bytes \(maxBytes)") }
        if !(collectiveTimeout > 0) { throw ValidationError("--collective-timeout must be positive, got \(collectiveTimeout)") }
    }

    /// 1 KB, 4 KB, 16 KB, ... : powers of 4 from the smallest size up to the largest.
    var sizes: [Int] {
        var sizes: [Int] = []
        var bytes = minBytes
        while bytes <= maxBytes {
            sizes.append(bytes)
            bytes *= 4
        }
        if sizes.last != maxBytes { sizes.append(maxBytes) }
        return sizes
    }

    func run() throws {
        let world = try World.start(timeout: collectiveTimeout)
        var rows: [[String: Any]] = []
        for bytes in sizes {
            let count = max(1, bytes / MemoryLayout<Float>.stride)
            var buffer = [Float](repeating: 1, count: count)
            // The same repetitions on every rank, or the collectives would not match.
            let repetitions = max(5, min(200, (256 << 20) / bytes))
            var samples: [Double] = []
            buffer.withUnsafeMutableBufferPointer { values in
                world.allreduceSum(values, label: "allreduce benchmark")
                world.barrier(label: "allreduce benchmark barrier")
                for _ in 0..<repetitions {
                    let start = Timing.now()
                    world.allreduceSum(values, label: "allreduce benchmark")
                    samples.append(Timing.now() - start)
                }
            }
            samples.sort()
            let seconds = samples[samples.count / 2]
            let algorithm = Double(count * 4) / seconds / 1e9
            let ranks = Double(world.size)
            rows.append(["bytes": count * 4, "seconds": seconds, "gb_per_second": algorithm,
                         "bus_gb_per_second": algorithm * 2 * (ranks - 1) / ranks])
        }
        guard world.isLeader else { return }
        if output.json {
            let object: [String: Any] = ["ranks": world.size, "results": rows]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("allreduce (sum, Float32, in place) over \(world.size) ranks")
            var table = TextTable(header: ["bytes", "time (us)", "GB/s", "bus GB/s"], rightAligned: Set(0..<4))
            for row in rows {
                table.add([String(row["bytes"] as! Int), String(format: "%.1f", (row["seconds"] as! Double) * 1e6),
                           String(format: "%.3f", row["gb_per_second"] as! Double), String(format: "%.3f", row["bus_gb_per_second"] as! Double)])
            }
            table.print()
        }
    }
}
