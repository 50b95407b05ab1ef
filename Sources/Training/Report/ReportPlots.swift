import Foundation

/// The report's figures: for each (dataset, backbone) the test top-1, training loss, learning
/// rate, training images per second and mean Sinkhorn iterations (the paper's Fig. 2) per epoch,
/// one line per head with the seeds' range as a band.
public enum ReportPlots {
    struct Metric: Sendable {
        let file: String
        let title: String
        let axis: String
        let value: @Sendable (EpochRecord) -> Double?
    }

    static let metrics = [
        Metric(file: "test-top1", title: "test top-1", axis: "test top-1 (%)") { 100 * $0.testTop1 },
        Metric(file: "train-loss", title: "training loss", axis: "train loss") { $0.trainLoss },
        Metric(file: "learning-rate", title: "learning rate", axis: "learning rate") { $0.learningRate },
        Metric(file: "images-per-second", title: "training images per second", axis: "images/s") { $0.imagesPerSecond },
        Metric(file: "sinkhorn-iterations", title: "mean Sinkhorn iterations", axis: "iterations") { $0.meanSinkhornIterations },
    ]

    /// Every chart, named `<dataset>-<model>-<metric>`, in a stable order.
    public static func charts(_ runs: [RunRecord]) -> [(name: String, chart: LineChart)] {
        var groups: [String: [RunRecord]] = [:]
        for run in runs where !run.metrics.isEmpty { groups["\(run.configuration.dataset)-\(run.configuration.model)", default: []].append(run) }
        var result: [(String, LineChart)] = []
        for key in groups.keys.sorted() {
            let members = groups[key]!
            let heads = headOrder(members.map(\.configuration.head.kind))
            let seeds = Set(members.map(\.configuration.seed)).count
            for metric in metrics {
                let series = heads.compactMap { head -> LineChart.Series? in
                    let samples = samplesByEpoch(members.filter { $0.configuration.head.kind == head }, metric.value)
                    return samples.isEmpty ? nil : LineChart.Series(name: head, samples: samples)
                }
                guard !series.isEmpty else { continue }
                let title = "\(members[0].configuration.model) on \(members[0].configuration.dataset): \(metric.title) (\(seeds) seed\(seeds == 1 ? "" : "s"))"
                result.append(("\(key)-\(metric.file)", LineChart(title: title, xLabel: "epoch", yLabel: metric.axis, series: series)))
            }
        }
        return result
    }

    /// Table 4's head order first, other heads after.
    static func headOrder(_ heads: [String]) -> [String] {
        let known = PaperPresets.table4Heads.map(\.head)
        let present = Set(heads)
        return known.filter(present.contains) + present.subtracting(known).sorted()
    }

    /// Median and range over the runs at every epoch some run reached with a value.
    static func samplesByEpoch(_ runs: [RunRecord], _ value: (EpochRecord) -> Double?) -> [LineChart.Sample] {
        var byEpoch: [Int: [Double]] = [:]
        for run in runs { for record in run.metrics { if let v = value(record), v.isFinite { byEpoch[record.epoch, default: []].append(v) } } }
        return byEpoch.keys.sorted().map { epoch in
            let values = byEpoch[epoch]!.sorted()
            return LineChart.Sample(x: Double(epoch), median: SeedSpread.median(sorted: values), low: values[0], high: values[values.count - 1])
        }
    }
}
