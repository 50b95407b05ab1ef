// swift-tools-version:6.0
//
// The Multi-Proxy Wasserstein classifier: a CPU tensor engine with autodiff, optimal transport,
// CNN backbones, data pipelines and the `mpw` command line. Layers depend downward only:
//
//   mpw -> Training -> Distributed (collectives; Open MPI loaded at run time), TorchFormat, GraphRuntime, Models, Datasets -> MultiProxy -> NN, OptimalTransport -> Tensors -> Kernels
//   Tensors -> ModelGraph (the captured graph and its recorder; no dependencies)
//
// Build with `-Xswiftc -target-cpu -Xswiftc native` (scripts/build does) so SIMD code uses the
// machine's vector width; the flag is not in this manifest so the package stays usable as a dependency.
import PackageDescription

let linux = TargetDependencyCondition.when(platforms: [.linux])

let package = Package(
    name: "MultiProxyWasserstein",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpw", targets: ["mpw"]),
        .library(name: "ModelGraph", targets: ["ModelGraph"]),
        .library(name: "GraphRuntime", targets: ["GraphRuntime"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "OptimalTransport", targets: ["OptimalTransport"]),
        .library(name: "MultiProxy", targets: ["MultiProxy"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Serving", targets: ["Serving"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "TorchFormat", targets: ["TorchFormat"]),
        .library(name: "Interchange", targets: ["Interchange"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "COpenMP"),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CKernels"),

        .target(name: "Kernels", dependencies: [
            "CKernels",
            .target(name: "COpenBLAS", condition: linux),
            .target(name: "COpenMP", condition: linux),
            .target(name: "CDNNL", condition: linux),
        ]),
        // The captured forward pass: graph, op set, format, recorder (no dependencies, so Tensors can record into it).
        .target(name: "ModelGraph"),
        .target(name: "Tensors", dependencies: ["ModelGraph", "Kernels"]),
        .target(name: "NN", dependencies: ["ModelGraph", "Tensors", "Kernels"]),
        .target(name: "OptimalTransport", dependencies: ["Tensors", "Kernels"]),
        .target(name: "MultiProxy", dependencies: ["ModelGraph", "NN", "OptimalTransport", "Tensors", "Kernels"]),
        .target(name: "Models", dependencies: ["ModelGraph", "GraphRuntime", "MultiProxy", "NN", "Tensors", "Kernels"]),
        // Capture from a Module and the graph interpreter.
        .target(name: "GraphRuntime", dependencies: ["ModelGraph", "MultiProxy", "NN", "OptimalTransport", "Tensors", "Kernels"]),
        .target(name: "Datasets", dependencies: [
            "Tensors", "Kernels",
            .target(name: "CTurboJPEG", condition: linux),
            .target(name: "CPNG", condition: linux),
            .target(name: "CZlib", condition: linux),
        ]),
        .target(name: "Distributed"),
        .target(name: "TorchFormat", dependencies: ["Tensors", .target(name: "CZlib", condition: linux)]),
        // swift-protobuf messages of ONNX and TensorBoard (Proto/; regenerate with scripts/generate-protos).
        .target(name: "Interchange", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Training", dependencies: ["Distributed", "TorchFormat", "Interchange", "GraphRuntime", "ModelGraph", "Models", "Datasets", "MultiProxy", "NN", "Tensors", "Kernels"]),
        .target(name: "Serving", dependencies: [
            "Training", "Datasets", "MultiProxy", "Tensors", "Kernels",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "mpw", dependencies: [
            "Serving", "Training", "Distributed", "TorchFormat", "Models", "Datasets", "MultiProxy", "OptimalTransport", "NN", "Tensors", "Kernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["Models", "MultiProxy", "NN", "Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Kernels", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensors", "TestSupport"]),
        .testTarget(name: "OptimalTransportTests", dependencies: ["OptimalTransport", "Tensors", "TestSupport"]),
        .testTarget(name: "MultiProxyTests", dependencies: ["MultiProxy", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "MultiProxy", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "ModelGraphTests", dependencies: ["ModelGraph", "GraphRuntime", "Models", "MultiProxy", "NN", "OptimalTransport", "Tensors", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensors", "TestSupport"]),
        .testTarget(name: "CommandLineTests", dependencies: ["mpw", "TestSupport"]),
        .testTarget(name: "TorchFormatTests", dependencies: ["TorchFormat", "Tensors", "TestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Training", "Datasets", "Tensors", "TestSupport"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "mpw", "Training", "Models", "Datasets", "MultiProxy", "Tensors", "TestSupport",
                                                   .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Interchange", "Models", "Datasets", "NN", "Tensors", "TestSupport"]),
    ]
)
