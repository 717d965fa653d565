import PalabreCore

/// The bound on stamps ahead of the service's clock, checked the same way by both backends before a batch is applied.
enum ClockBound {
    /// Throws ``ServiceError/clockAhead(message:serverTime:maxAheadMs:)`` when the batch's latest stamp is more than
    /// `maxAheadMs` ahead of `serverTime` (both milliseconds since 1970): nothing of the batch is then applied.
    static func check(_ changes: [Change], serverTime: Int64, maxAheadMs: Int64) throws(ServiceError) {
        guard let latest = changes.max(by: { $0.stamp.hlc < $1.stamp.hlc }) else { return }
        let lead = latest.stamp.hlc.wallMilliseconds - serverTime
        if lead > maxAheadMs { throw ServiceError.clockAheadRefusal(leadMs: lead, serverTime: serverTime, maxAheadMs: maxAheadMs) }
    }
}
