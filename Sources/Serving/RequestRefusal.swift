/// Why a parser of request bytes refuses them: the status the server answers and a one-line
/// message naming the field at fault. Plain Swift, so that the parsers compile with the fuzzer
/// without the server; the routes turn it into a `ServingError`.
struct RequestRefusal: Error, CustomStringConvertible {
    enum Status: Int {
        case badRequest = 400
        case contentTooLarge = 413
    }

    let status: Status
    let message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }

    static func badRequest(_ message: String) -> RequestRefusal { RequestRefusal(.badRequest, message) }
}
