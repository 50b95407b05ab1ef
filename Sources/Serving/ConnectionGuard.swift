import NIOCore
import NIOHTTP1

/// How long a connection may take at each stage before the server closes it, so that clients
/// that connect and send nothing, or send a header or body a byte at a time, cannot hold
/// connections (and the `--max-connections` slots) for as long as they like.
struct ConnectionTimeouts: Sendable {
    /// From the first byte of a request to the end of its header.
    var header: TimeAmount
    /// From the header to the end of the body.
    var body: TimeAmount
    /// With no request in progress: after the connection opens or the last response.
    var idle: TimeAmount
}

/// Sits between NIO's HTTP/1 codec and Hummingbird on every connection and decides when the
/// connection ends:
/// - a request that is not keep-alive (HTTP/1.0 without `Connection: keep-alive`, or
///   `Connection: close`) is answered with `Connection: close`, in its own HTTP version, and
///   the connection closed;
/// - so is every response while the server drains for a shutdown, and every error response
///   sent before the request's body was read in full (413 for a body too large): the rest of
///   the body is never read, the output side closes after the answer so the client sees it
///   rather than a reset, and the connection ends when the client closes or `linger` passes;
/// - a connection whose header, body or idle time runs past its `ConnectionTimeouts` is closed.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// How long a half-closed connection (answered before its body was read) may keep sending.
    static let linger = TimeAmount.seconds(2)

    private enum Reading {
        case nothing
        case header(since: NIODeadline)
        case body(since: NIODeadline)
    }

    private let timeouts: ConnectionTimeouts
    private let isDraining: @Sendable () -> Bool
    private var reading = Reading.nothing
    private var idleSince = NIODeadline.now()
    private var responsesPending = 0
    private var requestVersions: [HTTPVersion] = []
    private var keepAlive: [Bool] = []
    private var closeAfterResponse = false
    private var context: ChannelHandlerContext?
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?

    init(timeouts: ConnectionTimeouts, isDraining: @escaping @Sendable () -> Bool) {
        self.timeouts = timeouts
        self.isDraining = isDraining
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleSince = .now()
        reschedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        self.context = nil
    }

    /// Bytes arrived (from `ByteArrivalHandler`, before the codec): the start of a request's header.
    func bytesArrived() {
        if case .nothing = reading {
            reading = .header(since: .now())
            reschedule()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            reading = .body(since: .now())
            responsesPending += 1
            requestVersions.append(head.version)
            keepAlive.append(head.isKeepAlive)
        case .body:
            break
        case .end:
            reading = .nothing
        }
        reschedule()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            let version: HTTPVersion = requestVersions.isEmpty ? .http1_1 : requestVersions.removeFirst()
            let requestKeepsAlive = keepAlive.isEmpty ? true : keepAlive.removeFirst()
            let bodyUnread: Bool
            if case .body = reading { bodyUnread = true } else { bodyUnread = false }
            if !requestKeepsAlive || isDraining() || (bodyUnread && head.status.code >= 400) {
                closeAfterResponse = true
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            if version == .http1_0 { head.version = .http1_0 }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responsesPending -= 1
            guard closeAfterResponse else {
                if responsesPending == 0 { idleSince = .now() }
                reschedule()
                context.write(data, promise: promise)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let readAll: Bool
            if case .body = reading { readAll = false } else { readAll = true }
            written.futureResult.hop(to: context.eventLoop).assumeIsolated().whenComplete { _ in
                if readAll {
                    context.close(promise: nil)
                } else {
                    context.close(mode: .output, promise: nil)
                    context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { context.close(promise: nil) }
                }
            }
        }
    }

    /// One timer per connection, at the deadline of the stage it is in (none while a request is
    /// being answered).
    private func reschedule() {
        guard let context else { return }
        let deadline: NIODeadline?
        switch reading {
        case .header(let since): deadline = since + timeouts.header
        case .body(let since): deadline = since + timeouts.body
        case .nothing: deadline = responsesPending == 0 ? idleSince + timeouts.idle : nil
        }
        if let timer, timer.deadline == deadline { return }
        timer?.task.cancel()
        timer = nil
        guard let deadline else { return }
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timer = nil
            self?.context?.close(promise: nil)
        }
        timer = (deadline, task)
    }
}

/// First in the pipeline: tells the guard when bytes arrive, which starts a request's header clock.
final class ByteArrivalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: ConnectionGuardHandler

    init(_ connectionGuard: ConnectionGuardHandler) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard.bytesArrived()
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension ConnectionGuardHandler: Sendable {}

@available(*, unavailable)
extension ByteArrivalHandler: Sendable {}
