import ModelGraph
import NN
import Tensors

/// The paper's trivial multi-proxy baseline ("Multi-FC average", Table 4): M linear heads on the
/// pooled features, averaged. It equals Eq. 5 with a uniform matching flow w = 1/(HW·M), which is
/// why it brings no gain over GAP-FC.
public final class MultiFCAverageHead: Module, ClassificationHead {
    public let fc: [Linear]

    public init(channels: Int, classes: Int, proxies: Int, generator: inout RandomGenerator) {
        precondition(proxies >= 1, "MultiFCAverageHead: needs at least one linear head")
        fc = (0..<proxies).map { _ in Linear(channels, classes, generator: &generator) }
    }

    public var classes: Int { fc[0].outputFeatures }
    public var name: String { "multifc-avg" }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        Tensor.traced([features], module: self) {
            let pooled = features.globalAveragePooled()
            return fc.dropFirst().reduce(fc[0](pooled)) { $0 + $1(pooled) } * (1 / Float(fc.count))
        } record: { recorder, operands, _ in
            let layers = fc.map { layer in
                GraphOperation.Linear(weight: recorder.name(of: layer.weight, module: layer), bias: layer.bias.map { recorder.name(of: $0, module: layer) })
            }
            return (.multiFCAverage(GraphOperation.MultiFCAverage(layers: layers)), operands)
        }
    }
}
