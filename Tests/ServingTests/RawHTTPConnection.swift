import Foundation

/// One TCP connection to the server, written and read byte for byte, to see what a browser or
/// a load balancer would: the status line and headers as sent (`Connection: close`, the HTTP
/// version), whether the server closes the connection (end of stream) or resets it, and when.
final class RawHTTPConnection {
    struct Response {
        let statusLine: String
        let headers: [(name: String, value: String)]
        let body: Data

        var status: Int { Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? -1 }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var closes: Bool { header("connection")?.lowercased() == "close" }
    }

    /// How a connection ended, or did not, while waiting for it.
    enum Ending: Equatable {
        case closed
        case reset
        case stillOpen
        case sentData
    }

    private let socket: Int32
    private var buffer = Data()

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ServerFixtureError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(socket)
            throw ServerFixtureError("connect to port \(port) failed: errno \(errno)")
        }
    }

    deinit { close(socket) }

    func send(_ text: String) throws { try send(Data(text.utf8)) }

    func send(_ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(socket, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw ServerFixtureError("send failed: errno \(errno)") }
                sent += count
            }
        }
    }

    /// Waits up to `seconds` for bytes; nil at the end of the stream, throws on a reset or timeout.
    private func receive(within seconds: Double) throws -> Data? {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else { throw ServerFixtureError("no data within \(seconds) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(socket, &chunk, chunk.count, 0)
        if count < 0 { throw ServerFixtureError(errno == ECONNRESET ? "connection reset" : "recv failed: errno \(errno)") }
        return count == 0 ? nil : Data(chunk[0..<count])
    }

    /// Reads one response (its body by Content-Length).
    func readResponse(within seconds: Double = 30) throws -> Response {
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil {
            guard let chunk = try receive(within: seconds) else { throw ServerFixtureError("the connection closed before a response") }
            buffer += chunk
        }
        let headerEnd = buffer.range(of: separator)!
        let lines = String(decoding: buffer[buffer.startIndex..<headerEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = Response(statusLine: lines[0], headers: headers, body: Data())
        let length = Int(response.header("content-length") ?? "0") ?? 0
        buffer = Data(buffer[headerEnd.upperBound...])
        while buffer.count < length {
            guard let chunk = try receive(within: seconds) else { throw ServerFixtureError("the connection closed inside a body") }
            buffer += chunk
        }
        response = Response(statusLine: response.statusLine, headers: response.headers, body: Data(buffer.prefix(length)))
        buffer = Data(buffer.dropFirst(length))
        return response
    }

    /// Sends one request and reads its response.
    func request(_ method: String, _ path: String, body: Data = Data(), headers: [String] = [], version: String = "HTTP/1.1") throws -> Response {
        var head = "\(method) \(path) \(version)\r\nHost: 127.0.0.1\r\n"
        for header in headers { head += header + "\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        try send(Data((head + "\r\n").utf8) + body)
        return try readResponse()
    }

    /// How the connection stands after waiting up to `seconds` for the server to end it.
    func ending(within seconds: Double) -> Ending {
        do {
            return try receive(within: seconds) == nil ? .closed : .sentData
        } catch let error as ServerFixtureError where error.description.contains("reset") {
            return .reset
        } catch {
            return .stillOpen
        }
    }
}
