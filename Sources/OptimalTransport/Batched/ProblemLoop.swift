import Kernels
import Synchronization

/// Runs independent transport problems across the thread pool, each with a private scratch
/// buffer allocated once per thread, never per problem.
///
/// Problems are handed out in small chunks from a shared counter rather than in fixed ranges,
/// because problems stop after different numbers of iterations.
enum ProblemLoop {
    static func run(count: Int, scratchCount: Int, _ body: (_ problem: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        guard count > 0 else { return }
        let parts = min(Threads.count, count)
        let chunk = max(1, min(64, count / (parts * 16)))
        let next = Atomic<Int>(0)
        Parallel.run(parts: parts) { _ in
            let scratch = AlignedMemory.allocate(count: scratchCount)
            defer { AlignedMemory.release(scratch, count: scratchCount) }
            while true {
                let first = next.add(chunk, ordering: .relaxed).oldValue
                if first >= count { break }
                for problem in first..<min(count, first + chunk) { body(problem, scratch) }
            }
        }
    }
}
