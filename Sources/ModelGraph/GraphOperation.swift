/// The op set of a `ModelGraph`: what every zoo backbone and head is made of. Inputs are listed
/// per case; every op writes one value. Weights are state-dict names; evaluation mode throughout
/// (batch norm with its running statistics).
public enum GraphOperation: Sendable, Equatable {
    /// 2-D convolution of (N, C, H, W) with OIHW weights, square kernel, groups 1. Input: x.
    case convolution(Convolution)
    /// Batch normalisation with running statistics, per channel of (N, C, ...). Input: x.
    case batchNorm(BatchNorm)
    /// max(x, 0). Input: x.
    case relu
    /// a + b with NumPy broadcasting (residual sums; a fused residual ReLU is add then relu).
    case add
    /// Joins (N, Cᵢ, H, W) inputs along the channel axis, in input order.
    case concatenateChannels
    /// Average pooling, padding counted in the mean (PyTorch's count_include_pad). Input: x.
    case averagePool(Pooling)
    /// Max pooling, padding counted as -∞. Input: x.
    case maxPool(Pooling)
    /// (N, C, H, W) to (N, C) by the mean over H and W. Input: x.
    case globalAveragePool
    /// (N, C, H, W) to (N, channels, H, W) with zero channels appended (PyramidNet's shortcut).
    case zeroPadChannels(channels: Int)
    /// x·Wᵀ + b on (N, in) rows, W of shape (out, in). Input: x.
    case linear(Linear)
    /// (N, ...) to (N, rest), row-major (channel-major for NCHW). Input: x.
    case flatten
    /// A multi-proxy head on (B, d, H, W) features to (B, K) scores: the MPW head (Wasserstein
    /// flow, carrying its transport settings) or the Multi-FC cosine/uniform baselines. Input: features.
    case multiProxy(MultiProxy)
    /// "Multi-FC average": the mean of M linear layers on the globally pooled features. Input: features.
    case multiFCAverage(MultiFCAverage)
    /// Bilinear pooling to (B, d²) rows: mean outer product of the feature vectors, signed square
    /// root sign(x)·√(|x| + 1e-5), L2-normalised rows. Input: features.
    case bilinearPooling
    /// WS-DAN's attention pooling to (B, M·d) rows: each of the M maps weights the features,
    /// averaged over positions, then signed square root, L2-normalised rows, times `scale`.
    /// Inputs: features (B, d, H, W), maps (B, M, H, W).
    case attentionPooling(scale: Float)

    /// The op's name in the serialised form.
    public var kind: String {
        switch self {
        case .convolution: "convolution"
        case .batchNorm: "batch_norm"
        case .relu: "relu"
        case .add: "add"
        case .concatenateChannels: "concatenate_channels"
        case .averagePool: "average_pool"
        case .maxPool: "max_pool"
        case .globalAveragePool: "global_average_pool"
        case .zeroPadChannels: "zero_pad_channels"
        case .linear: "linear"
        case .flatten: "flatten"
        case .multiProxy: "multi_proxy"
        case .multiFCAverage: "multi_fc_average"
        case .bilinearPooling: "bilinear_pooling"
        case .attentionPooling: "attention_pooling"
        }
    }

    /// The state-dict names this op reads.
    public var parameterNames: [String] {
        switch self {
        case .convolution(let c): [c.weight] + (c.bias.map { [$0] } ?? [])
        case .batchNorm(let b): [b.weight, b.bias, b.runningMean, b.runningVariance]
        case .linear(let l): [l.weight] + (l.bias.map { [$0] } ?? [])
        case .multiProxy(let m): [m.proxies] + (m.bias.map { [$0] } ?? [])
        case .multiFCAverage(let m): m.layers.flatMap { [$0.weight] + ($0.bias.map { [$0] } ?? []) }
        default: []
        }
    }
}

extension GraphOperation {
    public struct Convolution: Sendable, Equatable, Codable {
        public var weight: String
        public var bias: String?
        public var stride: Int
        public var padding: Int

        public init(weight: String, bias: String?, stride: Int, padding: Int) {
            self.weight = weight
            self.bias = bias
            self.stride = stride
            self.padding = padding
        }
    }

    public struct BatchNorm: Sendable, Equatable, Codable {
        public var weight: String
        public var bias: String
        public var runningMean: String
        public var runningVariance: String
        public var epsilon: Float

        public init(weight: String, bias: String, runningMean: String, runningVariance: String, epsilon: Float) {
            self.weight = weight
            self.bias = bias
            self.runningMean = runningMean
            self.runningVariance = runningVariance
            self.epsilon = epsilon
        }
    }

    public struct Pooling: Sendable, Equatable, Codable {
        public var kernel: Int
        public var stride: Int
        public var padding: Int

        public init(kernel: Int, stride: Int, padding: Int) {
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
        }
    }

    public struct Linear: Sendable, Equatable, Codable {
        public var weight: String
        public var bias: String?

        public init(weight: String, bias: String?) {
            self.weight = weight
            self.bias = bias
        }
    }

    public struct MultiFCAverage: Sendable, Equatable, Codable {
        public var layers: [Linear]

        public init(layers: [Linear]) {
            self.layers = layers
        }
    }

    public struct MultiProxy: Sendable, Equatable {
        /// The (K, M, d) proxies.
        public var proxies: String
        /// A per-class bias added to the scores.
        public var bias: String?
        public var flow: Flow

        public init(proxies: String, bias: String?, flow: Flow) {
            self.proxies = proxies
            self.bias = bias
            self.flow = flow
        }

        /// How the similarities of a (sample, class) pair are weighed.
        public enum Flow: Sendable, Equatable {
            /// The entropic optimal-transport plan (the MPW head).
            case wasserstein(Transport)
            /// w ∝ 2 - (1 - cos), normalised (Multi-FC cosine).
            case cosine
            /// w = 1 / (HW·M).
            case uniform
        }
    }

    /// The MPW head's transport settings, everything its Sinkhorn solve depends on.
    public struct Transport: Sendable, Equatable, Codable {
        /// The entropic regularisation λ.
        public var lambda: Float
        /// The stopping threshold of `stopRule`; 0 runs exactly `maximumIterations`.
        public var threshold: Float
        public var maximumIterations: Int
        /// "relative" (per problem) or "batch-absolute" (the reference code's batch-wide rule).
        public var stopRule: String
        /// "kernel", "log" or "automatic".
        public var domain: String
        /// p of the cost (1 - cos)^p.
        public var costExponent: Float
        /// nil for balanced transport; the KL relaxation's τ per side for unbalanced transport
        /// (infinity keeps that marginal exact).
        public var relaxation: Relaxation?
        /// Unbalanced transport only: whether the score is divided by the plan's mass.
        public var normalizesScoreByMass: Bool
        /// "unrolled" or "implicit": training only, kept so the head can be rebuilt as it was.
        public var gradient: String

        public init(lambda: Float, threshold: Float, maximumIterations: Int, stopRule: String, domain: String, costExponent: Float,
                    relaxation: Relaxation?, normalizesScoreByMass: Bool, gradient: String) {
            self.lambda = lambda
            self.threshold = threshold
            self.maximumIterations = maximumIterations
            self.stopRule = stopRule
            self.domain = domain
            self.costExponent = costExponent
            self.relaxation = relaxation
            self.normalizesScoreByMass = normalizesScoreByMass
            self.gradient = gradient
        }

        public struct Relaxation: Sendable, Equatable, Codable {
            public var source: Float
            public var target: Float

            public init(source: Float, target: Float) {
                self.source = source
                self.target = target
            }
        }
    }
}
