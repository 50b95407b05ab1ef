import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Training

/// `mpw serve`: trained models behind HTTP (Hummingbird on SwiftNIO), with dynamic batching,
/// limits, metrics and a page. `run` returns after a graceful shutdown (SIGTERM or SIGINT, or
/// `shutDown()`): the listener closes, requests in flight are answered, then the models stop.
public final class ModelServer: Sendable {
    public let settings: ServerSettings
    public let metrics: ServerMetrics
    let repository: ModelRepository
    let readiness = Readiness()
    let logger: Logger
    private let group = LockedGroup()

    /// Serves every model of `layout` (a checkpoint file, or a folder of them), loaded now;
    /// throws the one-line reason when nothing can be served.
    public init(layout: RepositoryLayout, settings: ServerSettings, logger: Logger = Logger(label: "mpw.serve")) throws {
        self.settings = settings
        self.metrics = ServerMetrics(maxBatch: settings.maxBatch)
        self.logger = logger
        self.repository = ModelRepository(layout: layout, settings: settings, metrics: metrics, logger: logger)
        try repository.loadAll()
    }

    /// Serves `model`, already read from `checkpointFile`, as `settings.modelName`; the file is
    /// watched for a replacement as a repository's are.
    public init(model: TrainedModel, checkpointFile: String, settings: ServerSettings, logger: Logger = Logger(label: "mpw.serve")) {
        self.settings = settings
        self.metrics = ServerMetrics(maxBatch: settings.maxBatch)
        self.logger = logger
        self.repository = ModelRepository(model: model, file: checkpointFile, settings: settings, metrics: metrics, logger: logger)
    }

    /// The names of the models served, in order.
    public var modelNames: [String] { repository.names }

    /// Serves until shut down. `onListening` receives the bound port (the one asked for, or the
    /// free one chosen for port 0). `handleSignals` makes SIGTERM and SIGINT shut down gracefully.
    public func run(handleSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics, logRequests: settings.logRequests))
        ServingRoutes(repository: repository, metrics: metrics, settings: settings, readiness: readiness).add(to: router)
        let timeouts = ConnectionTimeouts(header: .milliseconds(Int64(settings.headerTimeoutMilliseconds)),
                                          body: .milliseconds(Int64(settings.bodyTimeoutMilliseconds)),
                                          idle: .milliseconds(Int64(settings.idleTimeoutMilliseconds)))
        let readiness = readiness
        let application = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(responder: responder, timeouts: timeouts, isDraining: { !readiness.isReady })
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "mpw",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: ReadinessService(readiness: readiness, drain: .seconds(settings.drainSeconds)))],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        IdleMemory.useFixedMmapThreshold()
        repository.startPolling()
        defer { repository.stop() }
        group.set(serviceGroup)
        do {
            try await serviceGroup.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw PortInUseError(port: settings.port)
        }
    }

    /// Shuts down as SIGTERM does: not ready at once, `drainSeconds` of answers with
    /// `Connection: close`, then no new connections and the requests in flight answered.
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

/// The one-line error when the port is taken, naming the flag that chooses another.
public struct PortInUseError: Error, CustomStringConvertible {
    public let port: Int
    public var description: String { "port \(port) is in use (another mpw serve?); choose another with --port" }
}

/// Marks the server not ready as soon as a graceful shutdown starts (it is the last service, so
/// the first told), then drains: for `drain` the HTTP server keeps answering, every response
/// with `Connection: close`, so that load balancers see readiness fail and kept-alive clients
/// reconnect elsewhere instead of meeting a closed socket. Only then is the HTTP server told.
struct ReadinessService: Service {
    let readiness: Readiness
    let drain: Duration

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markShuttingDown()
        try? await Task.sleep(for: drain)
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
