import Hummingbird
import PalabreCore

/// A refusal is a Hummingbird response error: thrown from any handler or middleware, it is answered with its status
/// and its `Wire.ErrorBody`, whether or not ``ErrorMiddleware`` is on the way.
extension ServiceError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(body.serialized, status: status)
    }
}
