import GRDB
import Logging
import PalabreStore

extension ServiceError {
    /// The refusal for a failure of the service's own database (a GRDB or store error from the SQLite backend), or nil
    /// for any other error. The cause is logged here; the answer says only that storage failed, so no SQL or path
    /// reaches a client. The HTTP layer knows nothing of GRDB: it asks this.
    static func storageFailure(_ error: any Error, logger: Logger) -> ServiceError? {
        guard error is StoreError || error is DatabaseError else { return nil }
        logger.error("storage failed", metadata: ["error": "\(error)"])
        return .storage("the service's storage failed; try again later")
    }
}
