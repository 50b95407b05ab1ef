import ArgumentParser
import MultiProxy
import OptimalTransport

/// The head switch and the multi-proxy options, shared by every command that builds a model.
struct HeadOptions: ParsableArguments {
    @Option(help: "Classifier head: \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var head = HeadConfiguration.Kind.mpw.rawValue

    @Option(help: "Proxies per class M (MPW, Multi-FC average/cosine) or attention maps (WS-DAN).")
    var proxies = 4

    @Option(help: "Entropic regularisation lambda of the Sinkhorn plan.")
    var lambda: Float = 0.1

    @Option(name: .customLong("p"), help: "Exponent p of the cost (1 - cos)^p.")
    var costExponent: Float = 1

    @Option(help: "Sinkhorn stops when the relative L1 change of alpha is below this.")
    var threshold: Float = 0.1

    @Option(name: .customLong("max-iter"), help: "Sinkhorn iteration cap t_max.")
    var maximumIterations = 100

    @Option(name: .customLong("grad"), help: "Sinkhorn gradient: unrolled (through the iterations, as the paper) or implicit (at the fixed point).")
    var gradient = "unrolled"

    @Flag(help: "Add a per-class bias to the MPW and Multi-FC cosine scores (the paper has none).")
    var bias = false

    func validate() throws {
        if HeadConfiguration.Kind(rawValue: head) == nil {
            throw ValidationError("--head \(head) is not a head; choose one of \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !["unrolled", "implicit"].contains(gradient) { throw ValidationError("--grad must be unrolled or implicit, got \(gradient)") }
        if !(lambda > 0) || !lambda.isFinite { throw ValidationError("--lambda must be a positive number, got \(lambda)") }
        if !(costExponent >= 1) || !costExponent.isFinite { throw ValidationError("--p must be at least 1, got \(costExponent)") }
        if !(threshold >= 0) || !threshold.isFinite { throw ValidationError("--threshold must not be negative, got \(threshold)") }
        try requireCounts(("--proxies", proxies), ("--max-iter", maximumIterations))
    }

    var configuration: HeadConfiguration {
        HeadConfiguration(
            kind: HeadConfiguration.Kind(rawValue: head) ?? .mpw, proxies: proxies,
            wasserstein: WassersteinMatching(
                sinkhorn: SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations, domain: .automatic),
                costExponent: costExponent, gradient: gradient == "implicit" ? .implicit : .unrolled),
            bias: bias)
    }
}
