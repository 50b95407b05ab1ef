import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Serving

/// A closed-loop load test of a `ModelServer` started in this process, or of a server already
/// listening (another one, for comparison): each client posts the same request, waits for the
/// answer, posts again, until the time is up.
struct LoadRun {
    /// What every client posts: the route, the body and its headers.
    struct Post: Sendable {
        var path: String
        var body: [UInt8]
        var headers: [String: String]
    }

    var latencies: [Double] = []
    var errors = 0
    var elapsed = 0.0
    var meanBatch = 0.0

    var requestsPerSecond: Double { Double(latencies.count) / elapsed }

    func percentile(_ fraction: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }

    static func run(server: ModelServer, post: Post, clients: Int, seconds: Double) throws -> LoadRun {
        try blocking { try await measure(server: server, post: post, clients: clients, seconds: seconds) }
    }

    /// The load on the server at `base` (scheme, host and port); no mean batch is known.
    static func run(base: URL, post: Post, clients: Int, seconds: Double) throws -> LoadRun {
        try blocking { try await runClients(session: session(clients: clients), request: request(base: base, post: post), clients: clients, seconds: seconds) }
    }

    private static func blocking(_ work: @escaping @Sendable () async throws -> LoadRun) throws -> LoadRun {
        let result = LockedLoad()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                result.set(try await work())
            } catch {
                result.fail(error)
            }
            done.signal()
        }
        done.wait()
        return try result.get()
    }

    private static func measure(server: ModelServer, post: Post, clients: Int, seconds: Double) async throws -> LoadRun {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await server.run(handleSignals: false) { portSink.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw LoadRunError("the server did not start") }
        let outcome = try await runClients(session: session(clients: clients), request: request(base: URL(string: "http://127.0.0.1:\(port)")!, post: post),
                                           clients: clients, seconds: seconds)
        let batches = server.metrics.exposition()
        await server.shutDown()
        try await serving.value
        var run = outcome
        run.meanBatch = sample("mpw_batch_size_images_sum", in: batches) / max(1, sample("mpw_batch_size_images_count", in: batches))
        return run
    }

    private static func session(clients: Int) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = clients
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }

    private static func request(base: URL, post: Post) -> URLRequest {
        var address = base.absoluteString
        while address.hasSuffix("/") { address.removeLast() }
        var request = URLRequest(url: URL(string: address + post.path)!)
        request.httpMethod = "POST"
        request.httpBody = Data(post.body)
        for (name, value) in post.headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    private static func runClients(session: URLSession, request: URLRequest, clients: Int, seconds: Double) async throws -> LoadRun {
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var run = LoadRun()
        try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var latencies: [Double] = [], errors = 0
                    while ContinuousClock.now < end {
                        let begin = ContinuousClock.now
                        do {
                            let (_, response) = try await session.data(for: request)
                            if (response as? HTTPURLResponse)?.statusCode == 200 {
                                let elapsed = begin.duration(to: .now).components
                                latencies.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
                            } else {
                                errors += 1
                            }
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            for try await (latencies, errors) in group {
                run.latencies += latencies
                run.errors += errors
            }
        }
        let elapsed = start.duration(to: .now).components
        run.elapsed = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return run
    }

    /// An unlabelled sample's value in Prometheus text.
    private static func sample(_ name: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last!) ?? 0
        }
        return 0
    }
}

struct LoadRunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private final class LockedLoad: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<LoadRun, any Error> = .failure(LoadRunError("the load test did not finish"))

    func set(_ run: LoadRun) {
        lock.lock()
        result = .success(run)
        lock.unlock()
    }

    func fail(_ error: any Error) {
        lock.lock()
        result = .failure(error)
        lock.unlock()
    }

    func get() throws -> LoadRun {
        lock.lock()
        defer { lock.unlock() }
        return try result.get()
    }
}
