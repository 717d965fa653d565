import Foundation

/// A hybrid logical clock timestamp (Kulkarni et al., 2014), packed into 64 bits.
///
/// The high 48 bits are wall time in milliseconds since 1970, the low 16 bits a logical counter.
/// Packing makes the HLC's order the plain integer order, so SQLite and PostgreSQL compare and index
/// it as an `INTEGER`, and "the next stamp" is simply `max(last + 1, now << 16)`: when the counter
/// overflows it carries into the milliseconds, which keeps the order strict.
///
/// ```swift
/// let t = HLC(wallMilliseconds: 1_764_400_000_000, counter: 3)
/// t.wallMilliseconds // 1_764_400_000_000
/// ```
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed value: `wallMilliseconds << 16 | counter`.
    public let rawValue: Int64

    /// Wraps a packed value.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Builds a timestamp from its parts.
    public init(wallMilliseconds: Int64, counter: Int64 = 0) {
        rawValue = (wallMilliseconds << 16) | (counter & 0xFFFF)
    }

    /// The zero timestamp, below every real one.
    public static let zero = HLC(rawValue: 0)

    /// Wall-clock part, in milliseconds since 1970.
    public var wallMilliseconds: Int64 { rawValue >> 16 }
    /// Logical counter part.
    public var counter: Int64 { rawValue & 0xFFFF }
    /// The wall-clock part as a date.
    public var date: Date { Date(timeIntervalSince1970: Double(wallMilliseconds) / 1000) }

    public static func < (lhs: HLC, rhs: HLC) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `2026-11-29T08:45:58.123Z+3`: readable in logs and `show --history`.
    public var description: String {
        "\(iso)+\(counter)"
    }

    /// Milliseconds since 1970 of a date.
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A field's write stamp: the clock value and the node (store) that wrote it.
///
/// The merge rule orders writes by `(hlc, node)`: the node id breaks ties, so two stores never
/// disagree on a winner.
public struct Stamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// When, on the hybrid logical clock.
    public var hlc: HLC
    /// Which store wrote it (16 lowercase hex digits).
    public var node: String

    /// Builds a stamp.
    public init(hlc: HLC, node: String) {
        self.hlc = hlc
        self.node = node
    }

    /// Below every real stamp: what an absent field "was stamped" with.
    public static let zero = Stamp(hlc: .zero, node: "")

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        lhs.hlc != rhs.hlc ? lhs.hlc < rhs.hlc : lhs.node < rhs.node
    }

    public var description: String { "\(hlc)@\(node)" }
}

/// The clock logic, free of storage: the store persists `last` in the same transaction as the writes it stamps.
///
/// - `send` gives the stamp for a local write: strictly above the last stamp issued or seen, and at
///   least the wall clock. A wall clock that jumps backwards cannot make time go backwards.
/// - `receive` records a stamp seen from elsewhere, so later local writes are stamped above it.
public struct HybridLogicalClock: Sendable {
    /// The highest timestamp issued or seen.
    public private(set) var last: HLC

    /// Starts from a persisted high-water mark.
    public init(last: HLC = .zero) { self.last = last }

    /// Issues the next timestamp for a local write, given the wall clock.
    public mutating func send(now: Date = Date()) -> HLC {
        let wall = HLC(wallMilliseconds: HLC.milliseconds(now))
        last = HLC(rawValue: max(last.rawValue + 1, wall.rawValue))
        return last
    }

    /// Takes a timestamp seen from another node into account.
    public mutating func receive(_ remote: HLC) {
        if remote > last { last = remote }
    }
}

/// A random node id: 64 bits as 16 lowercase hex digits, chosen once when a store is created.
public func makeNodeID() -> String {
    var g = SystemRandomNumberGenerator()
    let n = g.next() as UInt64
    let hex = String(n, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

extension HLC {
    /// `2026-11-29T08:45:58.123Z` for a time in milliseconds since 1970, without a `DateFormatter` (creating one costs
    /// more than writing a whole exported record, and exports write two per record).
    public static func iso(milliseconds ms: Int64) -> String { ISOTime.text(milliseconds: ms) }

    /// The wall-clock part as ISO 8601 with milliseconds.
    public var iso: String { HLC.iso(milliseconds: wallMilliseconds) }
}
