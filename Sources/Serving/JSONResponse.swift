import Foundation
import Hummingbird

/// JSON bodies: the /v1 answers in snake_case keys, the Open Inference Protocol's as declared,
/// and the `{"error": "..."}` form of every failure.
enum JSONResponse {
    static func encode<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok, snakeCase: Bool = false) throws -> Response {
        body(try encoder(snakeCase: snakeCase).encode(value), status: status)
    }

    static func encoder(snakeCase: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    static func error(_ message: String, status: HTTPResponse.Status) -> Response {
        let data = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"internal error"}"#.utf8)
        return body(data, status: status)
    }

    static func body(_ data: Data, status: HTTPResponse.Status, contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
