import Foundation

enum Timing {
    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Median wall time of `body` in seconds, after `warmup` untimed runs, over at least
    /// `minimumRuns` runs and until `minimumSeconds` have passed.
    static func median(warmup: Int = 2, minimumRuns: Int = 5, minimumSeconds: Double = 0.5, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var samples: [Double] = []
        let start = now()
        while samples.count < minimumRuns || now() - start < minimumSeconds {
            let begin = now()
            body()
            samples.append(now() - begin)
            if samples.count >= 1000 { break }
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// Peak resident set size of this process, in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return usage.ru_maxrss
        #endif
    }
}
