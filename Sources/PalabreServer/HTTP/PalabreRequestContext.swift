import Foundation
import Hummingbird

/// The per-request context: the authenticated device, once the bearer middleware found it.
public struct PalabreRequestContext: RequestContext {
    /// Hummingbird's own storage.
    public var coreContext: CoreRequestContextStorage
    /// The device whose token came with the request (nil on public routes).
    public var device: Device? {
        didSet { trace.device = device?.name }
    }
    /// Shared with the request log, which runs outside the middleware that authenticates.
    let trace = RequestTrace()

    /// Builds one for a request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated device, allowed `permission`.
    ///
    /// - Throws: ``ServiceError/unauthorized(_:)`` without a device, ``ServiceError/forbidden(_:)`` when its role lacks it.
    func device(allowed permission: Permission) throws -> Device {
        guard let device else { throw ServiceError.unauthorized("this route needs a token: send Authorization: Bearer TOKEN") }
        guard device.role.allows(permission) else {
            throw ServiceError.forbidden(
                "device '\(device.name)' is a\(device.role == .admin || device.role == .analyst ? "n" : "") "
                    + "\(device.role), which may not \(permission.phrase)")
        }
        return device
    }

    /// The project a request acts in: the one it names, or the device's own.
    ///
    /// - Throws: ``ServiceError/forbidden(_:)`` for a project outside the device's, ``ServiceError/badRequest(_:)`` when an
    ///   admin of every project names none.
    func project(named requested: String?, for device: Device) throws -> String {
        guard let code = requested ?? device.project else {
            throw ServiceError.badRequest("name the project: add ?project=CODE (this admin token covers every project)")
        }
        guard device.canAccess(project: code) else {
            throw ServiceError.forbidden("device '\(device.name)' belongs to project '\(device.project ?? "")', not '\(code)'")
        }
        return code
    }
}

/// What the request log reports about a request, filled in by the inner middleware.
final class RequestTrace: @unchecked Sendable {
    private let lock = NSLock()
    private var _device: String?

    /// The authenticated device's name.
    var device: String? {
        get { lock.withLock { _device } }
        set { lock.withLock { _device = newValue } }
    }
}

extension Permission {
    /// What the permission lets a device do, for refusals.
    var phrase: String {
        switch self {
        case .push: return "push changes"
        case .pull: return "pull changes"
        case .review: return "review conflicts"
        case .readRecords: return "read records"
        case .publishForms: return "publish forms"
        }
    }
}
