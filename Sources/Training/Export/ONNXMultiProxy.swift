import Foundation
import Interchange
import MultiProxy
import OptimalTransport

/// The multi-proxy head (`ProxyMatching`) as ONNX nodes: the similarities S = <x_j, p_km>, the
/// inverse norms 1 / max(‖·‖, 1e-6), the distance max(1 - cos, 0) and cost distance^p, then the
/// matching flow (the Sinkhorn plan, or the cosine flow) and the score Σ w ⊙ S per (sample,
/// class). Problems are laid out (B, K, HW, M).
///
/// Sinkhorn runs in the kernel domain with the per-problem shift K = exp(-(C - min C) / lambda),
/// as `KernelSinkhorn` does, inside a `Loop`: under the relative rule every problem freezes its
/// alpha and beta (`Where`) from the first iteration t >= 2 with ||alpha_t - alpha_{t-1}||_1 <
/// threshold · ||alpha_t||_1 and the loop ends once all have; under the batch-absolute rule
/// the loop ends at the first t whose summed change of alpha at its true scale, in double, is
/// below threshold × (problems × HW).
extension ONNXGraph {
    /// The scores (B, K) of `features` (B, d, h, w) against the (K, M, d) proxies named `proxyWeights`.
    mutating func multiProxy(_ features: String, proxyWeights: String, matching: MatchingFlow, channels: Int, positions: Int) throws -> String {
        let proxyShape = weightShape(proxyWeights)
        let (classes, proxies) = (proxyShape[0], proxyShape[1])
        let vectors = spatialVectors(features, channels: channels)                          // (B, HW, d)
        let proxyRows = op("Reshape", weight(proxyWeights), int64s([classes * proxies, channels]))
        let products = op("MatMul", vectors, op("Transpose", proxyRows, attributes: [.ints("perm", [1, 0])]))
        let similarity = op("Transpose", op("Reshape", products, int64s([0, positions, classes, proxies])),
                            attributes: [.ints("perm", [0, 2, 1, 3])])                      // (B, K, HW, M)
        let epsilon = scalar(1e-6)
        let vectorNorms = op("Sqrt", reduceSum(op("Mul", vectors, vectors), axes: [2], keep: true))
        let vectorScales = op("Unsqueeze", op("Div", scalar(1), op("Max", vectorNorms, epsilon)), int64s([1]))  // (B, 1, HW, 1)
        let proxyNorms = op("Sqrt", reduceSum(op("Mul", weight(proxyWeights), weight(proxyWeights)), axes: [2], keep: true))
        let proxyScales = op("Reshape", op("Div", scalar(1), op("Max", proxyNorms, epsilon)), int64s([1, classes, 1, proxies]))
        let cosine = op("Mul", op("Mul", similarity, proxyScales), vectorScales)
        let distance = op("Max", op("Sub", scalar(1), cosine), scalar(0))

        let flow: String
        switch matching {
        case .wasserstein(let settings):
            try Self.checkExportable(settings)
            let cost = settings.costExponent == 1 ? distance : op("Pow", distance, scalar(settings.costExponent))
            flow = sinkhornPlan(cost: cost, settings: settings.sinkhorn, positions: positions, proxies: proxies)
        case .cosine:
            // w = (2 - distance) / Σ (2 - distance), per problem.
            let shifted = op("Sub", scalar(2), distance)
            flow = op("Div", shifted, op("Max", reduceSum(shifted, axes: [2, 3], keep: true), scalar(.leastNormalMagnitude)))
        case .uniform:
            flow = op("Expand", scalar(1 / Float(positions * proxies)), op("Shape", similarity))
        }
        return reduceSum(op("Mul", flow, similarity), axes: [2, 3], keep: false)
    }

    /// Refuses the settings the kernel-domain graph cannot reproduce.
    static func checkExportable(_ settings: WassersteinMatching) throws {
        let sinkhorn = settings.sinkhorn
        if sinkhorn.relaxation != nil {
            throw ONNXExportError("unbalanced transport (\(settings.transport)) has no ONNX export; only balanced transport does")
        }
        // (1 - cos)^p spans at most 2^p: beyond 50·lambda the library may switch to the log domain.
        let widestRange = Float(Foundation.pow(2, Double(settings.costExponent)))
        if sinkhorn.domain == .log || (sinkhorn.domain == .automatic && widestRange / sinkhorn.lambda > SinkhornDomain.kernelRangeLimit) {
            throw ONNXExportError("lambda \(sinkhorn.lambda) with p \(settings.costExponent) may take the log-domain Sinkhorn, which has no ONNX export; export needs (2^p)/lambda <= \(SinkhornDomain.kernelRangeLimit) or the kernel domain")
        }
    }

    /// The plan diag(alpha) K diag(beta) of every (B, K) problem of `cost` (B, K, HW, M).
    private mutating func sinkhornPlan(cost: String, settings: SinkhornParameters, positions: Int, proxies: Int) -> String {
        let shift = op("ReduceMin", cost, attributes: [.ints("axes", [2, 3]), .int("keepdims", 1)])   // (B, K, 1, 1)
        let kernel = op("Exp", op("Mul", op("Sub", cost, shift), scalar(-1 / settings.lambda)))
        let alphaShape = op("Shape", reduceSum(kernel, axes: [3], keep: false))                       // (B, K, HW)
        let betaShape = op("Shape", reduceSum(kernel, axes: [2], keep: false))                        // (B, K, M)
        let ones = op("ConstantOfShape", betaShape, attributes: [.tensor("value", .floats([1], shape: [1], name: ""))])

        var body = ONNXGraph(prefix: "sinkhorn_")
        let iteration = body.fresh("iteration"), conditionIn = body.fresh("condition")
        let alpha = body.fresh("alpha"), beta = body.fresh("beta")
        let mu = body.scalar(1 / Float(positions)), nu = body.scalar(1 / Float(proxies))
        let kernelTimesBeta = body.op("Squeeze", body.op("MatMul", kernel, body.op("Unsqueeze", beta, body.int64s([3]))), body.int64s([3]))
        let newAlpha = body.op("Div", mu, kernelTimesBeta)
        let kernelTimesAlpha = body.op("Squeeze", body.op("MatMul", body.op("Unsqueeze", newAlpha, body.int64s([2])), kernel), body.int64s([2]))
        let newBeta = body.op("Div", nu, kernelTimesAlpha)
        let absoluteChange = body.reduceSum(body.op("Abs", body.op("Sub", newAlpha, alpha)), axes: [2], keep: false)   // (B, K)

        let loopInputs: [String], stateInfos: [Onnx_ValueInfoProto], bodyOutputs: [Onnx_ValueInfoProto]
        let alphaInfo = Onnx_ValueInfoProto.tensor(alpha, .float, dims: nil), betaInfo = Onnx_ValueInfoProto.tensor(beta, .float, dims: nil)
        switch settings.stopRule {
        case .relative:
            let done = body.fresh("done")
            let met = body.op("And", body.op("Greater", iteration, body.int64Scalar(0)),
                              body.op("Less", absoluteChange,
                                      body.op("Mul", body.reduceSum(newAlpha, axes: [2], keep: false), body.scalar(settings.threshold))))
            let frozen = body.op("Unsqueeze", done, body.int64s([2]))
            let alphaOut = body.op("Where", frozen, alpha, newAlpha)
            let betaOut = body.op("Where", frozen, beta, newBeta)
            let doneOut = body.op("Or", done, met)
            let allDone = body.op("ReduceMin", body.op("Cast", doneOut, attributes: [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))]),
                                  attributes: [.int("keepdims", 0)])
            let conditionOut = body.op("Less", allDone, body.scalar(0.5))
            let doneShape = op("Shape", reduceSum(kernel, axes: [2, 3], keep: false))
            let notDone = op("ConstantOfShape", doneShape, attributes: [.tensor("value", Self.boolTensor(false))])
            loopInputs = [op("ConstantOfShape", alphaShape), ones, notDone]
            stateInfos = [alphaInfo, betaInfo, .tensor(done, .bool, dims: nil)]
            bodyOutputs = [.tensor(conditionOut, .bool, dims: []), .tensor(alphaOut, .float, dims: nil),
                           .tensor(betaOut, .float, dims: nil), .tensor(doneOut, .bool, dims: nil)]
        case .batchAbsolute:
            // alpha's true scale is e^(shift / lambda) times the kernel's; alpha_0 = 1 at the true scale.
            let doubleType = Int(Onnx_TensorProto.DataType.double.rawValue)
            let shiftOverLambda = op("Div", op("Cast", op("Squeeze", shift, int64s([3])), attributes: [.int("to", doubleType)]),
                                     double(Double(settings.lambda)))                                   // (B, K, 1)
            let firstAlpha = op("Cast", op("Exp", op("Neg", shiftOverLambda)),
                                attributes: [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))])
            let scale = op("Exp", op("Squeeze", shiftOverLambda, int64s([2])))                      // (B, K)
            let change = body.reduceSum(body.op("Mul", body.op("Cast", absoluteChange, attributes: [.int("to", doubleType)]), scale),
                                        axes: [0, 1], keep: false)
            let points = body.op("Cast", body.op("Size", newAlpha), attributes: [.int("to", doubleType)])
            let met = body.op("Less", change, body.op("Mul", points, body.double(Double(settings.threshold))))
            loopInputs = [op("Expand", firstAlpha, alphaShape), ones]
            stateInfos = [alphaInfo, betaInfo]
            bodyOutputs = [.tensor(body.op("Not", met), .bool, dims: []), .tensor(body.op("Identity", newAlpha), .float, dims: nil),
                           .tensor(body.op("Identity", newBeta), .float, dims: nil)]
        }
        let loopBody = body.body(name: "sinkhorn",
                                 inputs: [.tensor(iteration, .int64, dims: []), .tensor(conditionIn, .bool, dims: [])] + stateInfos,
                                 outputs: bodyOutputs)
        let results = node("Loop", [int64Scalar(settings.maximumIterations), boolScalar(true)] + loopInputs,
                           outputs: loopInputs.count, [.graph("body", loopBody)])
        let alphaColumn = op("Unsqueeze", results[0], int64s([3]))
        let betaRow = op("Unsqueeze", results[1], int64s([2]))
        return op("Mul", op("Mul", alphaColumn, kernel), betaRow)
    }

    private static func boolTensor(_ value: Bool) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.dataType = Int32(Onnx_TensorProto.DataType.bool.rawValue)
        tensor.dims = [1]
        tensor.int32Data = [value ? 1 : 0]
        return tensor
    }
}
