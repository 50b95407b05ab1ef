import Synchronization

/// Where the transport heads that run inside one `MatchingStatistics.recording` call leave their
/// iteration statistics.
///
/// The statistics belong to the call that produced them: a head keeps none of its own, so two
/// forward passes through the same head on two threads (concurrent serving, an evaluation beside
/// training) each read their own counts, never whichever pass finished last. The recorder is
/// bound task-locally (on the calling thread outside a task); the head's forward pass runs its
/// Sinkhorn solves on the thread pool but reports on the calling thread, where the binding is seen.
final class MatchingStatisticsRecorder: Sendable {
    @TaskLocal static var current: MatchingStatisticsRecorder?

    private let recorded = Mutex<[MatchingStatistics]>([])

    func record(_ statistics: MatchingStatistics) {
        recorded.withLock { $0.append(statistics) }
    }

    var statistics: [MatchingStatistics] { recorded.withLock { $0 } }
}

extension MatchingStatistics {
    /// Runs `body` and returns its result with the statistics of every transport-flow matching
    /// (MPW head forward pass, training or inference form) it ran, in call order: empty when none
    /// ran (another head, or a cosine or uniform flow). A recording nested inside another sees
    /// only its own calls.
    public static func recording<Result>(_ body: () throws -> Result) rethrows -> (result: Result, statistics: [MatchingStatistics]) {
        let recorder = MatchingStatisticsRecorder()
        let result = try MatchingStatisticsRecorder.$current.withValue(recorder) { try body() }
        return (result, recorder.statistics)
    }

    /// The mean iterations over `statistics`, each call weighing the same (one call per batch:
    /// the batch mean); nil when there are none.
    public static func meanIterations(of statistics: [MatchingStatistics]) -> Double? {
        statistics.isEmpty ? nil : statistics.reduce(0) { $0 + $1.meanIterations } / Double(statistics.count)
    }
}
