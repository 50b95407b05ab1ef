import Datasets
import Training

/// A new run on `mnist-idx` normalises with its own training split's statistics (see
/// `MeasuredNormalization`): `mpw train` and every run `mpw sweep` starts measure them the same way.
enum NormalizationMeasurement {
    /// Measures the statistics and stores them in the configuration when its dataset needs them
    /// (others keep their standard ones); prints them when `announce`.
    static func apply(to configuration: inout TrainingConfiguration, announce: Bool) throws {
        guard configuration.dataset == DatasetKind.mnistIDX.rawValue else { return }
        let measured = try MeasuredNormalization.measure(configuration, kind: .mnistIDX)
        configuration.measuredNormalization = measured
        if announce {
            print("normalising with the training split's own statistics: mean \(measured.mean.map { format(Double($0), 4) }.joined(separator: ", ")), standard deviation \(measured.standardDeviation.map { format(Double($0), 4) }.joined(separator: ", "))")
        }
    }
}
