import Models
import NN
import Testing
import Tensors
import TestSupport

/// DenseNet's layers on slices of the concatenation (`DenseConvolution`) behave as on the joined
/// tensor: the same new channels and the same running statistics.
@Suite struct DenseNetSliceTests {
    @Test func layerOnSlicesEqualsTheLayerOnTheJoinedInput() {
        var generator = RandomGenerator(seed: 40)
        let parts = [20, 12, 5].enumerated().map { index, width in
            randomTensor([3, width, 5, 4], seed: 41 + UInt64(index)).converted(to: .channelsLast)
        }
        let joined = Tensor.concatenatedChannels(parts)
        let layer = DenseLayer(37, growthRate: 4, bottleneck: false, generator: &generator)
        let reference = BatchNorm2d(37, fusedReLU: true)
        let new = layer(parts.map { FeatureSlice($0, batchStatistics: true) })
        let expected = reference(joined).convolved2D(weight: layer.conv1.weight.value, padding: 1)
        #expect(new.shape == [3, 4, 5, 4])
        #expect(relativeError(new.contiguous(), expected.contiguous()) < 1e-5)
        #expect(relativeError(layer.bn1.runningMean.value, reference.runningMean.value) < 1e-6)
        #expect(relativeError(layer.bn1.runningVariance.value, reference.runningVariance.value) < 1e-6)
        #expect(layer.bn1.batchesTracked.value.item == 1)
        layer.eval()
        reference.eval()
        let evaluated = layer(parts.map { FeatureSlice($0, batchStatistics: false) })
        #expect(relativeError(evaluated.contiguous(), reference(joined).convolved2D(weight: layer.conv1.weight.value, padding: 1).contiguous()) < 1e-5)
    }
}
