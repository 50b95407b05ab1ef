import Foundation
import Testing
import TestSupport
@testable import Serving

/// How connections end, seen byte for byte on a loopback port: HTTP/1.0 and error responses
/// close, keep-alive stays open, slow or silent clients are closed by their timeouts, the
/// connection cap holds, and a shutdown drains without resetting kept-alive clients.
@Suite(.serialized) struct ServingConnectionTests {
    static let inferBody = Data(#"{"inputs":[{"name":"input","shape":[1,3,32,32],"datatype":"FP32","data":[\#(Array(repeating: "0", count: 3 * 32 * 32).joined(separator: ","))]}]}"#.utf8)

    @Test func http10AndErrorResponsesCloseAndKeepAliveStaysOpen() async throws {
        let fixture = try await ServerFixture { $0.maxBodyBytes = 64 << 10 }
        try await Task.detached {
            let old = try RawHTTPConnection(port: fixture.port)
            let answer = try old.request("GET", "/v2/health/live", version: "HTTP/1.0")
            #expect(answer.status == 200 && answer.statusLine.hasPrefix("HTTP/1.0 ") && answer.closes, "\(answer.statusLine) \(answer.headers)")
            #expect(old.ending(within: 5) == .closed)

            let keptAlive = try RawHTTPConnection(port: fixture.port)
            let oldKeptAlive = try keptAlive.request("GET", "/v2/health/live", headers: ["Connection: keep-alive"], version: "HTTP/1.0")
            #expect(oldKeptAlive.status == 200 && !oldKeptAlive.closes)
            for _ in 0..<3 {
                let reply = try keptAlive.request("POST", "/v2/models/mpw/infer", body: Self.inferBody)
                #expect(reply.status == 200 && !reply.closes, "\(reply.statusLine) \(String(decoding: reply.body, as: UTF8.self))")
            }
            #expect(keptAlive.ending(within: 0.5) == .stillOpen)
            let closing = try keptAlive.request("GET", "/v2/health/ready", headers: ["Connection: close"])
            #expect(closing.status == 200 && closing.closes)
            #expect(keptAlive.ending(within: 5) == .closed)

            // A body over --max-body-bytes: 413 from the header, Connection: close, and the
            // connection ends without a reset although most of the body was never sent.
            let large = try RawHTTPConnection(port: fixture.port)
            try large.send("POST /v2/models/mpw/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(1 << 20)\r\n\r\n" + String(repeating: "[", count: 1000))
            let refused = try large.readResponse()
            #expect(refused.status == 413 && refused.closes, "\(refused.statusLine) \(refused.headers)")
            #expect(large.ending(within: 5) == .closed)
        }.value
        #expect(try await fixture.get("/v2/health/ready").status == 200)
        try await fixture.stop()
    }

    @Test func silentAndSlowClientsAreClosedByTheirTimeouts() async throws {
        let fixture = try await ServerFixture { $0.idleTimeoutMilliseconds = 1000; $0.headerTimeoutMilliseconds = 1000; $0.bodyTimeoutMilliseconds = 1000 }
        try await Task.detached {
            // Nothing sent: closed after the idle timeout, and not long before it.
            let silent = try RawHTTPConnection(port: fixture.port)
            let start = ContinuousClock.now
            #expect(silent.ending(within: 0.5) == .stillOpen)
            #expect(silent.ending(within: 5) == .closed)
            #expect(start.duration(to: .now) < .seconds(5))

            // Idle between kept-alive requests.
            let idle = try RawHTTPConnection(port: fixture.port)
            #expect(try idle.request("GET", "/v2/health/live").status == 200)
            #expect(idle.ending(within: 5) == .closed)

            // A header, then a body, sent a byte every 100 ms: each keeps sending, and each is cut.
            for (prefix, trickle) in [("GET /v2/health/live HTTP/1.1\r\n", "X-Slow: " + String(repeating: "y", count: 40) + "\r\n"),
                                      ("POST /v2/models/mpw/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", String(repeating: "0,", count: 50))] {
                let slow = try RawHTTPConnection(port: fixture.port)
                try slow.send(prefix)
                var ended = RawHTTPConnection.Ending.stillOpen
                for byte in Array(trickle.utf8) {
                    guard (try? slow.send(Data([byte]))) != nil else {
                        ended = .closed
                        break
                    }
                    ended = slow.ending(within: 0.1)
                    if ended != .stillOpen { break }
                }
                #expect(ended == .closed, "\(prefix.prefix(20)): \(ended)")
            }
        }.value
        #expect(try await fixture.get("/v2/health/ready").status == 200)
        try await fixture.stop()
    }

    @Test func connectionsBeyondTheCapWaitForAFreeSlot() async throws {
        let fixture = try await ServerFixture { $0.maxConnections = 2 }
        try await Task.detached {
            let first = try RawHTTPConnection(port: fixture.port), second = try RawHTTPConnection(port: fixture.port)
            #expect(try first.request("GET", "/v2/health/live").status == 200)
            #expect(try second.request("GET", "/v2/health/live").status == 200)
            let third = try RawHTTPConnection(port: fixture.port)
            try third.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(third.ending(within: 1) == .stillOpen, "a third connection is not served while two are open")
            _ = try first.request("GET", "/v2/health/live", headers: ["Connection: close"])
            #expect(try third.readResponse(within: 10).status == 200)
        }.value
        try await fixture.stop()
    }

    /// A kept-alive client that sends request after request through a shutdown: readiness turns
    /// 503 at once, every answer while draining says `Connection: close` and the connection then
    /// ends cleanly, the client reconnects and is answered, and no request meets a reset.
    @Test func aShutdownDrainsWithoutResettingKeptAliveClients() async throws {
        let fixture = try await ServerFixture { $0.drainSeconds = 3 }
        let connection = try RawHTTPConnection(port: fixture.port)
        #expect(try connection.request("GET", "/v2/health/ready").status == 200)
        let shutdown = Task { try await fixture.stop() }
        while fixture.server.readiness.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let outcome = await Task.detached { () -> (statuses: [String], closes: Int, failures: [String]) in
            var statuses: [String] = [], closes = 0, failures: [String] = []
            var current = connection
            func exchange(_ method: String, _ path: String, body: Data = Data()) throws {
                let reply = try current.request(method, path, body: body)
                statuses.append("\(path) \(reply.status)")
                guard reply.closes else { return }
                closes += 1
                let ending = current.ending(within: 5)
                if ending != .closed { failures.append("after Connection: close the connection was \(ending)") }
                current = try RawHTTPConnection(port: fixture.port)
            }
            let start = ContinuousClock.now
            // Half the drain, so that a slow last exchange on a loaded machine still ends within it.
            while start.duration(to: .now) < .milliseconds(1500) {
                do {
                    try exchange("GET", "/v2/health/ready")
                    try exchange("POST", "/v2/models/mpw/infer", body: Self.inferBody)
                } catch {
                    failures.append("\(error)")
                    break
                }
            }
            return (statuses, closes, failures)
        }.value
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.statuses.count >= 4 && outcome.closes == outcome.statuses.count, "every answer while draining closes: \(outcome.statuses)")
        #expect(outcome.statuses.allSatisfy { $0 == "/v2/health/ready 503" || $0 == "/v2/models/mpw/infer 200" }, "\(outcome.statuses)")
        try await shutdown.value
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: fixture.port) }
    }
}
