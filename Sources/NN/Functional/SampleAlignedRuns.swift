/// The rows (pixels) of a channels-last batch cut into short runs that never cross a sample and
/// always start at the same place within it: a run is summed in float32, its sum joins a double
/// accumulator.
///
/// Batch statistics must not depend on how a batch is split. Data-parallel ranks each hold whole
/// samples, and threads take whole runs, so with these runs every process and thread count adds
/// the same float32 partial sums, and the double totals round to the same float32 statistics.
/// Runs that followed a thread's or rank's own row range instead put float32 rounding into the
/// statistics, which moved ReLU inputs near zero to the other side (issue 36).
struct SampleAlignedRuns {
    let rowsPerSample: Int
    let runsPerSample: Int
    let count: Int

    init(rows: Int, samples: Int, runLength: Int = ChannelLayout.floatRun) {
        rowsPerSample = samples > 0 ? rows / samples : 0
        runsPerSample = (rowsPerSample + runLength - 1) / runLength
        count = samples * runsPerSample
        self.runLength = runLength
    }

    private let runLength: Int

    /// The rows of run `index`.
    @inline(__always)
    func rows(_ index: Int) -> Range<Int> {
        let sample = index / runsPerSample, within = index % runsPerSample
        let start = sample * rowsPerSample + within * runLength
        return start..<min(start + runLength, (sample + 1) * rowsPerSample)
    }

    /// Part `part` of `parts`: a contiguous range of whole runs.
    func runs(part: Int, of parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }
}
