import NN
import Testing
import Tensors

/// Batch statistics summed over a whole batch of pixels keep float32's precision: a channel of
/// 64x32x32 = 65,536 values whose naive float32 sum loses four or five digits (enough to change
/// a training step's gradients by percents through the ReLU masks of near-constant images).
@Suite struct BatchStatisticsAccuracyTests {
    @Test(arguments: [MemoryFormat.contiguous, .channelsLast])
    func meanAndVarianceMatchDoublePrecision(format: MemoryFormat) throws {
        var generator = RandomGenerator(seed: 7)
        let channels = 16, batch = 64, side = 32
        let noise = Tensor.randomNormal([batch, channels, side, side], generator: &generator)
        // An offset much larger than the spread, as for the background of a padded grey image.
        let dense: Tensor = noise * Float(0.01) + Float(3)
        let x = dense.converted(to: format)
        let values = dense.contiguous().scalars
        let (_, statistics) = BatchNormalization.training(x, weight: .ones([channels]), bias: .zeros([channels]),
                                                          epsilon: 1e-5, fusedReLU: false)
        let perChannel = batch * side * side
        for channel in 0..<channels {
            var channelValues: [Double] = []
            for n in 0..<batch {
                let start = (n * channels + channel) * side * side
                for i in start..<(start + side * side) { channelValues.append(Double(values[i])) }
            }
            let mean = channelValues.reduce(0, +) / Double(perChannel)
            var squares = 0.0
            for value in channelValues { squares += (value - mean) * (value - mean) }
            let variance = squares / Double(perChannel)
            #expect(abs(Double(statistics.mean[channel]) - mean) / mean < 1e-6)
            #expect(abs(Double(statistics.variance[channel]) - variance) / variance < 1e-4)
        }
    }
}
