import Hummingbird

/// A request the server answers with an error: the HTTP status and a one-line message, sent as
/// the Open Inference Protocol's `{"error": "..."}` body on every route.
public struct ServingError: Error, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The answer to a parser's refusal, with its status.
    init(_ refusal: RequestRefusal) {
        self.init(refusal.status == .contentTooLarge ? .contentTooLarge : .badRequest, refusal.message)
    }

    public var description: String { message }

    static func badRequest(_ message: String) -> ServingError { ServingError(.badRequest, message) }
    static func notFound(_ message: String) -> ServingError { ServingError(.notFound, message) }
}
