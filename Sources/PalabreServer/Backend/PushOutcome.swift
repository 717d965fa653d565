import Foundation
import Logging
import PalabreCore
import PalabreStore

/// What a push transaction did, for the log lines written once it has committed; shared by both backends.
enum PushOutcome: Sendable {
    /// Applied now; `otherDevices`: the devices the node was already bound to (a copied store).
    case applied(Wire.PushResponse, otherDevices: [String])
    /// Applied before: the stored answer.
    case replayed(Wire.PushResponse)

    /// Logs what happened and returns the answer.
    func logged(_ logger: Logger, request: Wire.PushRequest, device: Device) -> Wire.PushResponse {
        switch self {
        case .replayed(let response):
            logger.info("push replayed", metadata: ["device": "\(device.name)", "node": "\(request.node)", "batch": "\(request.batch)"])
            return response
        case .applied(let response, let others):
            for other in others {
                logger.warning(
                    "node \(request.node) used by two devices (\(other), \(device.name)): a copied store?",
                    metadata: ["node": "\(request.node)", "device": "\(device.name)", "other_device": "\(other)"])
            }
            for entry in response.setAside {
                logger.notice(
                    "change set aside",
                    metadata: [
                        "device": "\(device.name)", "record": "\(entry.record)",
                        "reason": "\(entry.reason)",
                    ])
            }
            logger.info(
                "push applied",
                metadata: [
                    "device": "\(device.name)", "batch": "\(request.batch)", "applied": "\(response.applied)",
                    "duplicates": "\(response.duplicates)", "conflicts": "\(response.conflicts)", "set_aside": "\(response.setAside.count)",
                ])
            return response
        }
    }

    /// The answer to a batch: what applying it did, the service's time, and how many batches of its node the service
    /// has applied (this one included: a store that counts fewer was restored or copied, and pulls its own back).
    static func response(to request: Wire.PushRequest, _ outcome: ApplyOutcome, serverTime: Int64, nodeBatches: Int) -> Wire.PushResponse {
        var response = Wire.PushResponse(
            batch: request.batch, applied: outcome.applied, duplicates: outcome.duplicates, conflicts: outcome.conflicts,
            setAside: outcome.setAside.map(Wire.SetAsideEntry.init),
            serverTime: serverTime)
        response.nodeBatches = nodeBatches
        return response
    }

    /// Logs a refused push (a clock ahead is worth a warning) and returns the error to throw.
    static func refused(_ error: ServiceError, _ logger: Logger, request: Wire.PushRequest, device: Device) -> ServiceError {
        if case .clockAhead(let message, _, _) = error {
            logger.warning(
                "push refused: clock ahead",
                metadata: [
                    "device": "\(device.name)", "node": "\(request.node)",
                    "batch": "\(request.batch)", "reason": "\(message)",
                ])
        }
        return error
    }
}

/// A device a store node is already bound to; shared by both backends' push.
struct NodeOwner: Sendable {
    var name: String
    var revoked: Bool

    /// Refuses a push from a node that another, still enrolled, device pushed from first. A revoked device's nodes
    /// may be taken over: a laptop whose token was replaced keeps its store.
    static func check(_ owners: [NodeOwner], node: String, device: Device) throws {
        guard let owner = owners.first(where: { !$0.revoked }) else { return }
        throw ServiceError.nodeInUse(
            "store node \(node) belongs to device '\(owner.name)', not '\(device.name)': this store was "
                + "copied from another laptop (or the node id is forged); nothing was applied. On this laptop run 'palabre node renew' "
                + "to give the store a node of its own, then sync again")
    }
}

extension Enrollment {
    /// A new device and its token, after checking the name and that only an admin goes without a project.
    static func prepare(name: String, project: String?, role: Role, now: Date) throws -> Enrollment {
        let name = try Validate.name(name, what: "device name")
        if project == nil && role != .admin {
            throw ServiceError.badRequest("a \(role) must be enrolled in a project: give --project (only an admin may have none)")
        }
        return Enrollment(
            device: Device(id: UUID().uuidString.lowercased(), name: name, project: project, role: role, created: now),
            token: Token.make())
    }
}
