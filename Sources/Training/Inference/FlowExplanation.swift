import Models
import MultiProxy
import Tensors

/// Where one class's proxies attach on one image: the matching flow T (HW x M) of the class,
/// split by proxy, with what each proxy adds to the class score.
public struct FlowExplanation: Sendable {
    public struct Proxy: Sendable {
        /// T[:, m] as an H x W map, row-major.
        public let map: [Float]
        /// Σ_j T_jm / Σ_jm T_jm. The plan's column marginal makes it 1/M up to the Sinkhorn
        /// tolerance; where the proxy attaches is in `map`, how much it matters in `contribution`.
        public let massShare: Float
        /// Σ_j T_jm <X_j, P_m>: the proxy's part of the class score (Eq. 9).
        public let contribution: Float
    }

    public let classIndex: Int
    /// The class's logit: the proxies' contributions plus the class bias, if any.
    public let score: Float
    public let mapHeight: Int
    public let mapWidth: Int
    public let proxies: [Proxy]
}

extension TrainedModel {
    /// The multi-proxy head (MPW, or Multi-FC cosine), or nil for heads without a matching flow.
    public var multiProxyHead: MultiProxyHead? { model.multiProxyHead }

    /// For each image of the (N, C, H, W) `input`, the flow of class `classes[n]`, or of the
    /// predicted class where that is nil, through the inference form. The model must have a
    /// multi-proxy head.
    public func explain(_ input: Tensor, classes: [Int?]) -> (explanations: [FlowExplanation], logits: Tensor) {
        guard let head = multiProxyHead else { preconditionFailure("TrainedModel.explain: the head has no matching flow") }
        precondition(classes.count == input.shape[0], "TrainedModel.explain: one class choice per image")
        let features = inference.features(input)
        let (logits, flow) = inference.withHead { _ in (head(features), head.matchingFlow(for: features)) }
        return FlowExplanation.explanations(features: features, logits: logits, flow: flow, head: head, classes: classes)
    }
}

extension ImageClassifier {
    /// The multi-proxy head (MPW, or Multi-FC cosine), or nil for heads without a matching flow.
    public var multiProxyHead: MultiProxyHead? { head as? MultiProxyHead }

    /// `TrainedModel.explain` for any classifier with a multi-proxy head (in evaluation mode), on
    /// the training graph without gradients: the sheets drawn while a model trains.
    public func explain(_ input: Tensor, classes: [Int?]) -> (explanations: [FlowExplanation], logits: Tensor) {
        guard let head = multiProxyHead else { preconditionFailure("ImageClassifier.explain: the head has no matching flow") }
        precondition(classes.count == input.shape[0], "ImageClassifier.explain: one class choice per image")
        let (features, logits, flow) = withoutGradients {
            let features = backbone(input)
            return (features, head(features), head.matchingFlow(for: features))
        }
        return FlowExplanation.explanations(features: features, logits: logits, flow: flow, head: head, classes: classes)
    }
}

extension FlowExplanation {
    /// Splits each chosen class's plan by proxy, with each proxy's part of the class score.
    static func explanations(features: Tensor, logits: Tensor, flow: Tensor, head: MultiProxyHead,
                             classes: [Int?]) -> (explanations: [FlowExplanation], logits: Tensor) {
        let (channels, height, width) = (features.shape[1], features.shape[2], features.shape[3])
        let positions = height * width
        let (classCount, proxyCount) = (head.classes, head.proxiesPerClass)
        let featureValues = features.scalars, flowValues = flow.scalars, proxyValues = head.proxies.value.scalars
        let logitValues = logits.scalars
        var explanations: [FlowExplanation] = []
        for (image, choice) in classes.enumerated() {
            let row = Array(logitValues[(image * classCount)..<((image + 1) * classCount)])
            let chosen = choice ?? row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
            let plan = (image * classCount + chosen) * positions * proxyCount
            let total = (0..<(positions * proxyCount)).reduce(Float(0)) { $0 + flowValues[plan + $1] }
            let proxies = (0..<proxyCount).map { proxy in
                let map = (0..<positions).map { flowValues[plan + $0 * proxyCount + proxy] }
                let weights = (chosen * proxyCount + proxy) * channels
                var contribution: Float = 0
                for position in 0..<positions {
                    var dot: Float = 0
                    for channel in 0..<channels {
                        dot += featureValues[(image * channels + channel) * positions + position] * proxyValues[weights + channel]
                    }
                    contribution += map[position] * dot
                }
                return FlowExplanation.Proxy(map: map, massShare: map.reduce(0, +) / total, contribution: contribution)
            }
            explanations.append(FlowExplanation(classIndex: chosen, score: row[chosen], mapHeight: height, mapWidth: width, proxies: proxies))
        }
        return (explanations, logits)
    }
}
