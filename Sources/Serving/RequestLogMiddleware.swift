import Foundation
import Hummingbird
import Logging

/// Around every request: turns any failure into the `{"error": "..."}` body with its status,
/// logs one line (method, path, status, milliseconds) at info, and counts it in the metrics.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics
    let logRequests: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServingError {
            response = JSONResponse.error(error.message, status: error.status)
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)"
                : error.status == .contentTooLarge ? "the request body is too large" : "\(error.status.reasonPhrase)"
            response = JSONResponse.error(message, status: error.status)
        } catch {
            response = JSONResponse.error("internal error: \(error)", status: .internalServerError)
        }
        let duration = start.duration(to: .now)
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        if logRequests { logger.info("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", duration.seconds * 1000)) ms") }
        return response
    }
}
