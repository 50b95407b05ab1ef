import ModelGraph
import NN
import OptimalTransport
import Synchronization
import Tensors

/// A head that represents each of K classes by M proxies and scores a feature map against them
/// through a matching flow (paper Eq. 5): the Multi-Proxy Wasserstein head with the optimal
/// transport flow, and the paper's Multi-FC cosine baseline with the cosine flow.
///
/// Proxies are initialised as PyTorch initialises a linear layer's weight rows, uniform in
/// ±1/√d: a proxy plays exactly the role of an FC weight row (with M = 1 and a uniform flow the
/// head is GAP followed by a bias-free FC), so the FC's well-tested scale carries over. The
/// per-class bias is off by default, as in the paper (its parameter counts have none).
public final class MultiProxyHead: Module, ClassificationHead {
    /// (K, M, d).
    public let proxies: Parameter
    public let bias: Parameter?
    public let flow: MatchingFlow
    /// Under the batch stopping rule, the last batch's iteration count: the next batch's first
    /// round (a guess that saves rounds; results do not depend on it).
    private let lastBatchIterations = Mutex(8)

    public init(channels: Int, classes: Int, proxiesPerClass: Int, flow: MatchingFlow, bias: Bool = false,
                generator: inout RandomGenerator) {
        precondition(channels >= 1 && classes >= 1 && proxiesPerClass >= 1,
                     "MultiProxyHead: needs positive channels, classes and proxies, got \(channels), \(classes), \(proxiesPerClass)")
        let bound = 1 / Float(channels).squareRoot()
        proxies = Parameter(.randomUniform([classes, proxiesPerClass, channels], lower: -bound, upper: bound, generator: &generator),
                            role: .weight)
        self.bias = bias ? Parameter(.zeros([classes]), role: .bias) : nil
        self.flow = flow
    }

    public var classes: Int { proxies.shape[0] }
    public var proxiesPerClass: Int { proxies.shape[1] }

    public var name: String {
        switch flow {
        case .wasserstein: return "mpw"
        case .cosine: return "multifc-cosine"
        case .uniform: return "multifc-uniform"
        }
    }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        Tensor.traced([features], module: self) {
            scores(features)
        } record: { recorder, operands, _ in
            (.multiProxy(GraphOperation.MultiProxy(proxies: recorder.name(of: proxies, module: self),
                                                   bias: bias.map { recorder.name(of: $0, module: self) }, flow: flow.graphFlow)), operands)
        }
    }

    /// The scores of features against `proxies` (K, M, d) under `flow`, plus `bias` when given:
    /// the head's forward pass on explicit weights (the graph interpreter runs it). Its iteration
    /// statistics go to the enclosing `MatchingStatistics.recording`, as the module's do.
    public static func scores(features: Tensor, proxies: Tensor, bias: Tensor?, flow: MatchingFlow) -> Tensor {
        let output = ProxyMatching.apply(features: features, proxies: proxies, flow: flow, keepsFlow: false)
        report(output.statistics, of: flow)
        return bias.map { output.scores + $0 } ?? output.scores
    }

    private func scores(_ features: Tensor) -> Tensor {
        let output = ProxyMatching.apply(features: features, proxies: proxies.value, flow: flow,
                                         firstRound: lastBatchIterations.withLock { $0 }, keepsFlow: false)
        Self.report(output.statistics, of: flow)
        lastBatchIterations.withLock { $0 = max(1, output.statistics.maximumIterations) }
        return bias.map { output.scores + $0.value } ?? output.scores
    }

    /// Hands one forward pass's Sinkhorn statistics to the caller's recording, if any: they are
    /// the call's, not the head's (concurrent calls each see their own).
    private static func report(_ statistics: MatchingStatistics, of flow: MatchingFlow) {
        guard case .wasserstein = flow else { return }
        MatchingStatisticsRecorder.current?.record(statistics)
    }

    /// The matching flow T for each sample and class, (B, K, H·W, M) with positions row-major over
    /// (H, W): where each class's proxies attach on the feature map, for visualisation.
    public func matchingFlow(for features: Tensor) -> Tensor {
        let output = withoutGradients { ProxyMatching.apply(features: features, proxies: proxies.value, flow: flow) }
        let (batch, positions) = (features.shape[0], features.shape[2] * features.shape[3])
        return output.flow!.reshaped([classes, proxiesPerClass, batch, positions]).permuted([2, 0, 3, 1])
    }
}
