#if canImport(COpenMP)
import COpenMP
#else
import Dispatch
#endif
import Synchronization

/// Data-parallel loops over the process's thread pool.
///
/// On Linux the pool is libgomp's, the same one oneDNN and the OpenMP build of OpenBLAS use, so
/// the three never compete for cores. Elsewhere it is Dispatch's. A loop started from inside a
/// parallel region runs serially on the calling thread.
public enum Parallel {
    /// Splits `0..<count` into at most `Threads.count` contiguous ranges of at least
    /// `minimumChunk` elements and runs `body` on each, in parallel. Returns after all finish.
    public static func forRanges(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(Threads.count, max(1, count / max(1, minimumChunk)))
        if parts == 1 || isInsideParallelRegion {
            body(0..<count)
            return
        }
        run(parts: parts) { part in
            let lower = count * part / parts
            let upper = count * (part + 1) / parts
            if lower < upper { body(lower..<upper) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, handing out indices dynamically so that items
    /// of uneven cost balance across threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let parts = min(Threads.count, count)
        if parts == 1 || isInsideParallelRegion {
            for index in 0..<count { body(index) }
            return
        }
        let next = Atomic<Int>(0)
        run(parts: parts) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                if index >= count { break }
                body(index)
            }
        }
    }

    /// Runs `body(part)` for every `part` in `0..<parts` at once, one per thread.
    public static func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, !isInsideParallelRegion else {
            for part in 0..<parts { body(part) }
            return
        }
        #if canImport(COpenMP)
        withoutActuallyEscaping(body) { escapable in
            var context = RegionContext(body: escapable, parts: parts)
            withUnsafeMutablePointer(to: &context) { pointer in
                GOMP_parallel(regionEntry, UnsafeMutableRawPointer(pointer), UInt32(parts), 0)
            }
        }
        #else
        withoutActuallyEscaping(body) { escapable in
            DispatchQueue.concurrentPerform(iterations: parts) { escapable($0) }
        }
        #endif
    }

    /// True on a pool thread, where nested loops must not start another region.
    public static var isInsideParallelRegion: Bool {
        #if canImport(COpenMP)
        return omp_in_parallel() != 0
        #else
        return false
        #endif
    }
}

#if canImport(COpenMP)
private struct RegionContext {
    let body: (Int) -> Void
    let parts: Int
}

/// libgomp calls this on every thread of the team; thread i runs parts i, i + team, ...
private let regionEntry: @convention(c) (UnsafeMutableRawPointer?) -> Void = { raw in
    let context = raw!.assumingMemoryBound(to: RegionContext.self)
    let team = Int(omp_get_num_threads())
    var part = Int(omp_get_thread_num())
    while part < context.pointee.parts {
        context.pointee.body(part)
        part += team
    }
}
#endif
