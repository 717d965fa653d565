import Hummingbird

/// Every route the service answers, with who may call it: the one list that registers the routes and that the
/// OpenAPI contract is checked against.
public enum Endpoint: String, CaseIterable, Sendable {
    /// `GET /healthz`: liveness, no token.
    case health
    /// `GET /openapi.yaml`: the contract, no token.
    case openAPI
    /// `GET /v1/me`: who the token is.
    case me
    /// `POST /v1/sync/push`: send a batch of changes.
    case push
    /// `GET /v1/sync/pull`: a page of changes after a cursor.
    case pull
    /// `GET /v1/conflicts`: open conflicts of the project.
    case conflicts
    /// `POST /v1/conflicts/resolve`: keep or restore.
    case resolve
    /// `GET /v1/records`: the merged live records.
    case records
    case export
    case indicators
    /// `GET /v1/forms`: every version of the project's forms.
    case forms
    /// `POST /v1/forms`: publish new versions of the project's forms (coordinators, admins).
    case publishForms
    /// `GET /v1/set-aside`: the calling device's changes the service has not applied.
    case setAside
    /// `POST /v1/set-aside/retry`: try them again.
    case retrySetAside

    /// The HTTP method.
    public var method: HTTPRequest.Method {
        switch self {
        case .push, .resolve, .publishForms, .retrySetAside: return .post
        default: return .get
        }
    }

    /// The path.
    public var path: String {
        switch self {
        case .health: return "/healthz"
        case .openAPI: return "/openapi.yaml"
        case .me: return "/v1/me"
        case .push: return "/v1/sync/push"
        case .pull: return "/v1/sync/pull"
        case .conflicts: return "/v1/conflicts"
        case .resolve: return "/v1/conflicts/resolve"
        case .records: return "/v1/records"
        case .export: return "/v1/export"
        case .indicators: return "/v1/indicators"
        case .forms, .publishForms: return "/v1/forms"
        case .setAside: return "/v1/set-aside"
        case .retrySetAside: return "/v1/set-aside/retry"
        }
    }

    /// Whether a bearer token is needed.
    public var needsToken: Bool { self != .health && self != .openAPI }
}
