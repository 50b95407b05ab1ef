import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine: matrix products, elementwise kernels, and more.",
        subcommands: [GemmBench.self, ElementwiseBench.self, TrainBench.self, EvalBench.self, HeadBench.self, DataBench.self, SinkhornBench.self,
                      AllreduceBench.self, ServeBench.self]
    )
}
