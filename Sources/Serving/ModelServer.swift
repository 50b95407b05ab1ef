import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Training

/// `mpw serve`: a trained model behind HTTP (Hummingbird on SwiftNIO), with dynamic batching,
/// limits, metrics and a page. `run` returns after a graceful shutdown (SIGTERM or SIGINT, or
/// `shutDown()`): the listener closes, requests in flight are answered, then the model stops.
public final class ModelServer: Sendable {
    public let settings: ServerSettings
    public let metrics: ServerMetrics
    let model: ModelBox
    let batcher: InferenceBatcher
    let readiness = Readiness()
    let logger: Logger
    private let group = LockedGroup()

    public init(model: TrainedModel, settings: ServerSettings, logger: Logger = Logger(label: "mpw.serve")) {
        self.settings = settings
        self.model = ModelBox(model)
        self.metrics = ServerMetrics(maxBatch: settings.maxBatch)
        self.batcher = InferenceBatcher(model: model, settings: settings, metrics: metrics)
        self.logger = logger
    }

    /// Serves until shut down. `onListening` receives the bound port (the one asked for, or the
    /// free one chosen for port 0). `handleSignals` makes SIGTERM and SIGINT shut down gracefully.
    public func run(handleSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics, logRequests: settings.logRequests))
        ServingRoutes(model: model, batcher: batcher, metrics: metrics, settings: settings, readiness: readiness).add(to: router)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "mpw"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: ReadinessService(readiness: readiness))],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        batcher.start()
        defer { batcher.stop() }
        group.set(serviceGroup)
        try await serviceGroup.run()
    }

    /// Shuts down as SIGTERM does: not ready, no new connections, requests in flight answered.
    public func shutDown() async {
        readiness.markShuttingDown()
        await group.get()?.triggerGracefulShutdown()
    }

    /// Runs the server from synchronous code (the command line), blocking until it has shut down.
    public func runBlocking(onListening: @escaping @Sendable (Int) async -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = LockedResult()
        Task.detached { [self] in
            do {
                try await run(onListening: onListening)
                outcome.set(.success(()))
            } catch {
                outcome.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        try outcome.get()
    }
}

/// Marks the server not ready as soon as a graceful shutdown starts (it is the last service, so
/// the first told), before the HTTP server stops accepting.
struct ReadinessService: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markShuttingDown()
    }
}

private final class LockedGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?

    func set(_ group: ServiceGroup) {
        lock.lock()
        self.group = group
        lock.unlock()
    }

    func get() -> ServiceGroup? {
        lock.lock()
        defer { lock.unlock() }
        return group
    }
}

private final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Void, any Error> = .success(())

    func set(_ result: Result<Void, any Error>) {
        lock.lock()
        self.result = result
        lock.unlock()
    }

    func get() throws {
        lock.lock()
        defer { lock.unlock() }
        try result.get()
    }
}
