import NN
import OptimalTransport
import Tensors

/// Which head to put on a backbone, and its options: everything `--head` and the MPW flags set.
public struct HeadConfiguration: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case mpw
        case gapfc
        case multiFCAverage = "multifc-avg"
        case multiFCFlatten = "multifc-flatten"
        case multiFCCosine = "multifc-cosine"
        case bilinear
        case wsdan
    }

    public var kind: Kind
    /// M: proxies per class (MPW, Multi-FC average and cosine) or attention maps (WS-DAN).
    public var proxies: Int
    /// The MPW transport settings (lambda, threshold, iteration cap, stop rule, balanced or
    /// unbalanced transport, p, gradient mode).
    public var wasserstein: WassersteinMatching
    /// A per-class bias on the MPW and Multi-FC cosine scores (off in the paper).
    public var bias: Bool

    public init(kind: Kind, proxies: Int = 4, wasserstein: WassersteinMatching = WassersteinMatching(), bias: Bool = false) {
        self.kind = kind
        self.proxies = proxies
        self.wasserstein = wasserstein
        self.bias = bias
    }

    public var description: String {
        switch kind {
        case .mpw:
            let s = wasserstein.sinkhorn
            // Named only when not the defaults, so the default description reads as before.
            let options = (s.stopRule == .relative ? "" : ", \(s.stopRule) stop rule")
                + (s.relaxation == nil ? "" : ", \(wasserstein.transport) transport")
            return "mpw (M=\(proxies), lambda=\(s.lambda), p=\(wasserstein.costExponent), threshold=\(s.threshold), max-iter=\(s.maximumIterations)\(options), \(wasserstein.gradient) gradient)"
        case .multiFCAverage, .multiFCCosine: return "\(kind.rawValue) (M=\(proxies))"
        case .wsdan: return "wsdan (\(proxies) attention maps)"
        default: return kind.rawValue
        }
    }

    /// Builds the head for a feature map of `channels` x `height` x `width`.
    public func makeHead(channels: Int, height: Int, width: Int, classes: Int, generator: inout RandomGenerator) -> any ClassificationHead {
        switch kind {
        case .mpw:
            return MultiProxyHead(channels: channels, classes: classes, proxiesPerClass: proxies, flow: .wasserstein(wasserstein),
                                  bias: bias, generator: &generator)
        case .multiFCCosine:
            return MultiProxyHead(channels: channels, classes: classes, proxiesPerClass: proxies, flow: .cosine, bias: bias,
                                  generator: &generator)
        case .gapfc:
            return GlobalAveragePoolingHead(channels: channels, classes: classes, generator: &generator)
        case .multiFCAverage:
            return MultiFCAverageHead(channels: channels, classes: classes, proxies: proxies, generator: &generator)
        case .multiFCFlatten:
            return MultiFCFlattenHead(channels: channels, height: height, width: width, classes: classes, generator: &generator)
        case .bilinear:
            return BilinearPoolingHead(channels: channels, classes: classes, generator: &generator)
        case .wsdan:
            return AttentionPoolingHead(channels: channels, classes: classes, maps: proxies, generator: &generator)
        }
    }
}
