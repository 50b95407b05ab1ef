import Foundation
import Tensors
import TestSupport

/// One case of Tests/Oracles/sinkhorn.safetensors (POT 0.9.7 / PyTorch, float64), with lambda
/// and the marginal convention read from manifest.json.
struct SinkhornOracle {
    static let uniformCases = ["s64x4_l0.1", "s49x4_l0.1", "s16x4_l0.05", "s10x10_l0.1"]
    static let nonUniformCase = "s12x7_l0.1_nonuniform"
    /// Cases with G, dC, plan_iter5 and dC_iter5.
    static let gradientCases = uniformCases + [nonUniformCase]
    /// Every single-problem case (with plan, emd_plan and costs).
    static let allCases = gradientCases + ["s64x4_l0.01", "s64x4_l0.002"]

    let name: String
    let file: SafeTensorsFile
    let rows: Int
    let columns: Int
    let lambda: Float
    let uniform: Bool

    init(_ name: String) throws {
        self.name = name
        file = try Oracles.file("sinkhorn.safetensors")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: Oracles.directory.appendingPathComponent("manifest.json")))
        let entry = ((manifest as? [String: Any])?["files"] as? [String: Any])?["sinkhorn.safetensors"] as? [String: Any]
        guard let description = entry?[name] as? [String: Any], let lambda = description["lambda"] as? Double else {
            throw OracleError.missing(name)
        }
        let shape = try file.entry("\(name).C").shape
        rows = shape[shape.count - 2]
        columns = shape[shape.count - 1]
        self.lambda = Float(lambda)
        uniform = (description["marginals"] as? String) == "uniform"
    }

    func doubles(_ what: String) throws -> [Double] { try file.doubles("\(name).\(what)") }
    func tensor(_ what: String) throws -> Tensor { try file.tensor("\(name).\(what)") }

    var cost: Tensor { get throws { try tensor("C") } }
    var costValues: [Double] { get throws { try doubles("C") } }

    /// The marginals as tensors, or nil for uniform cases (exercising the uniform path).
    var sourceMarginal: Tensor? { get throws { uniform ? nil : try tensor("a") } }
    var targetMarginal: Tensor? { get throws { uniform ? nil : try tensor("b") } }

    enum OracleError: Error { case missing(String) }
}

extension Tensor {
    var doubles: [Double] { scalars.map(Double.init) }
}

/// sum_ij P_ij C_ij in double precision.
func transportCost(_ plan: [Double], _ cost: [Double]) -> Double {
    zip(plan, cost).reduce(0) { $0 + $1.0 * $1.1 }
}
