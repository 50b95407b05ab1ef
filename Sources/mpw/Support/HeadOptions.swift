import ArgumentParser
import Kernels
import MultiProxy
import OptimalTransport

/// The head switch and the multi-proxy options, shared by every command that builds a model.
struct HeadOptions: ParsableArguments {
    @Option(help: "Classifier head: \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var head = HeadConfiguration.Kind.mpw.rawValue

    @Option(parsing: .unconditional, help: "Proxies per class M (MPW, Multi-FC average/cosine) or attention maps (WS-DAN).")
    var proxies = 4

    @Option(parsing: .unconditional, help: "Entropic regularisation lambda of the Sinkhorn plan.")
    var lambda: Float = 0.1

    @Option(name: .customLong("p"), parsing: .unconditional, help: "Exponent p of the cost (1 - cos)^p.")
    var costExponent: Float = 1

    @Option(parsing: .unconditional, help: "Sinkhorn stops when the relative L1 change of alpha is below this.")
    var threshold: Float = 0.1

    @Option(name: .customLong("max-iter"), parsing: .unconditional, help: "Sinkhorn iteration cap t_max.")
    var maximumIterations = 100

    @Option(name: .customLong("grad"), help: "Sinkhorn gradient: unrolled (through the iterations, as the paper) or implicit (at the fixed point).")
    var gradient = "unrolled"

    @Option(name: .customLong("stop-rule"), help: "Sinkhorn stopping rule: relative (per problem, relative L1 change of alpha) or batch-absolute (the authors' code: one count per batch, mean absolute change of alpha).")
    var stopRule = SinkhornStopRule.relative.rawValue

    @Option(help: "Transport: balanced (the paper's), or unbalanced:TAU (KL-relaxed marginals, tau > 0; TAU_FEATURES,TAU_PROXIES for one per side), optionally followed by :normalized to divide the score by the plan's mass.")
    var transport = "balanced"

    @Flag(help: "Add a per-class bias to the MPW and Multi-FC cosine scores (the paper has none).")
    var bias = false

    func validate() throws {
        if HeadConfiguration.Kind(rawValue: head) == nil {
            throw ValidationError("--head \(head) is not a head\(NameSuggestion.clause(for: head, among: HeadConfiguration.Kind.allCases.map(\.rawValue))); choose one of \(HeadConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !["unrolled", "implicit"].contains(gradient) { throw ValidationError("--grad must be unrolled or implicit, got \(gradient)") }
        if !(lambda > 0) || !lambda.isFinite { throw ValidationError("--lambda must be a positive number, got \(lambda)") }
        if !(costExponent >= 1) || !costExponent.isFinite { throw ValidationError("--p must be at least 1, got \(costExponent)") }
        if !(threshold >= 0) || !threshold.isFinite { throw ValidationError("--threshold must not be negative, got \(threshold)") }
        try requireCounts(("--proxies", proxies), ("--max-iter", maximumIterations))
        if SinkhornStopRule(rawValue: stopRule) == nil {
            throw ValidationError("--stop-rule must be relative or batch-absolute, got \(stopRule)")
        }
        let specification: TransportSpecification
        do { specification = try TransportSpecification(transport) } catch { throw ValidationError("--transport: \(error.description)") }
        if specification.relaxation != nil && gradient == "implicit" {
            throw ValidationError("--transport \(transport) has the unrolled gradient only; drop --grad implicit")
        }
    }

    var configuration: HeadConfiguration {
        var sinkhorn = SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations, domain: .automatic)
        sinkhorn.stopRule = SinkhornStopRule(rawValue: stopRule) ?? .relative
        var wasserstein = WassersteinMatching(sinkhorn: sinkhorn, costExponent: costExponent,
                                              gradient: gradient == "implicit" ? .implicit : .unrolled)
        wasserstein.transport = (try? TransportSpecification(transport)) ?? .balanced
        return HeadConfiguration(kind: HeadConfiguration.Kind(rawValue: head) ?? .mpw, proxies: proxies, wasserstein: wasserstein, bias: bias)
    }
}
