import Foundation
import Testing
import PalabreCore

// MARK: - Helpers

/// Midday UTC on 1 January of a year, as a date.
private func newYear(_ year: Int) -> Date {
    var c = DateComponents()
    c.year = year
    c.month = 1
    c.day = 1
    c.hour = 12
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    return cal.date(from: c)!
}

/// The 32 hex digits of a UUID string, without dashes.
private func hexDigits(_ uuid: String) -> [Character] { Array(uuid.replacingOccurrences(of: "-", with: "")) }

// MARK: - HLC packing and order

@Test func hlcPacksWallTimeInHigh48BitsAndCounterInLow16() {
    let t = HLC(wallMilliseconds: 1_764_400_000_123, counter: 7)
    #expect(t.rawValue == (1_764_400_000_123 << 16) | 7)
    #expect(t.wallMilliseconds == 1_764_400_000_123)
    #expect(t.counter == 7)
}

@Test func hlcRawValueRoundTripsThroughInitRawValue() {
    let t = HLC(wallMilliseconds: 2_000_000_000_000, counter: 65_535)
    let back = HLC(rawValue: t.rawValue)
    #expect(back == t)
    #expect(back.wallMilliseconds == 2_000_000_000_000)
    #expect(back.counter == 65_535)
}

@Test func hlcOrdersByWallTimeBeforeCounter() {
    let earlyBigCounter = HLC(wallMilliseconds: 1_000, counter: 65_535)
    let laterZeroCounter = HLC(wallMilliseconds: 1_001, counter: 0)
    #expect(earlyBigCounter < laterZeroCounter)
    #expect(HLC(wallMilliseconds: 1_000, counter: 1) < HLC(wallMilliseconds: 1_000, counter: 2))
    #expect(!(HLC(wallMilliseconds: 1_000, counter: 2) < HLC(wallMilliseconds: 1_000, counter: 2)))
}

@Test func hlcZeroIsBelowEveryRealTimestamp() {
    #expect(HLC.zero < HLC(wallMilliseconds: 0, counter: 1))
    #expect(HLC.zero < HLC(wallMilliseconds: HLC.milliseconds(newYear(2026))))
}

@Test func hlcDateIsTheWallClockPart() {
    let d = newYear(2026)
    let t = HLC(wallMilliseconds: HLC.milliseconds(d), counter: 42)
    #expect(t.date == d)
}

@Test func millisecondsRoundDownToWholeMilliseconds() {
    #expect(HLC.milliseconds(Date(timeIntervalSince1970: 1.2345)) == 1_234)
    #expect(HLC.milliseconds(Date(timeIntervalSince1970: 0)) == 0)
}

// MARK: - Stamp order

@Test func stampsOrderByClockFirst() {
    let a = Stamp(hlc: HLC(wallMilliseconds: 10), node: "ffffffffffffffff")
    let b = Stamp(hlc: HLC(wallMilliseconds: 11), node: "0000000000000000")
    #expect(a < b)
    #expect(!(b < a))
}

@Test func stampsWithEqualClockAreOrderedByNode() {
    let hlc = HLC(wallMilliseconds: 10, counter: 3)
    let a = Stamp(hlc: hlc, node: "00000000000000aa")
    let b = Stamp(hlc: hlc, node: "00000000000000ab")
    #expect(a < b)
    #expect(!(b < a))
    #expect(a != b)
    #expect(max(a, b) == b)
    #expect(max(b, a) == b)
}

@Test func stampZeroIsBelowAnyRealStamp() {
    #expect(Stamp.zero < Stamp(hlc: HLC(rawValue: 1), node: ""))
    #expect(Stamp.zero < Stamp(hlc: .zero, node: "0000000000000001"))
}

// MARK: - send

@Test func sendUsesTheWallClockWhenItIsAhead() {
    var clock = HybridLogicalClock()
    let now = newYear(2026)
    let t = clock.send(now: now)
    #expect(t.wallMilliseconds == HLC.milliseconds(now))
    #expect(t.counter == 0)
    #expect(clock.last == t)
}

@Test func sendIsStrictlyIncreasingOverManyCallsWithTheSameWallTime() {
    var clock = HybridLogicalClock()
    let now = newYear(2026)
    var previous = HLC.zero
    for i in 0..<10_000 {
        let t = clock.send(now: now)
        #expect(t > previous, "call \(i): \(t.rawValue) is not above \(previous.rawValue)")
        previous = t
    }
    // 10 000 stamps fit in the counter of the same millisecond.
    #expect(previous.wallMilliseconds == HLC.milliseconds(now))
    #expect(previous.counter == 9_999)
}

@Test func sendNeverGoesBackwardsWhenTheWallClockJumpsBack() {
    var clock = HybridLogicalClock()
    let t2040 = clock.send(now: newYear(2040))
    let t2010 = clock.send(now: newYear(2010))
    let again = clock.send(now: newYear(2010))
    #expect(t2010 > t2040)
    #expect(again > t2010)
    // The clock keeps 2040's wall time rather than adopting the earlier one.
    #expect(t2010.wallMilliseconds == HLC.milliseconds(newYear(2040)))
}

@Test func sendAfterRestartFromPersistedLastStaysAboveIt() {
    var first = HybridLogicalClock()
    var issued: [HLC] = []
    for _ in 0..<5 { issued.append(first.send(now: newYear(2040))) }
    // Persist only the packed integer, as the store does, and restart with an earlier wall clock.
    let persisted = first.last.rawValue
    var restarted = HybridLogicalClock(last: HLC(rawValue: persisted))
    let next = restarted.send(now: newYear(2010))
    #expect(next > issued.max()!)
    #expect(next.rawValue == persisted + 1)
}

@Test func sendCarriesCounterOverflowIntoTheMillisecondsAndStaysStrict() {
    let now = newYear(2026)
    let ms = HLC.milliseconds(now)
    var clock = HybridLogicalClock()
    var previous = HLC.zero
    // 70 000 > 65 536 stamps within one millisecond of wall time.
    for i in 0..<70_000 {
        let t = clock.send(now: now)
        if t <= previous {
            Issue.record("call \(i): \(t.rawValue) is not above \(previous.rawValue)")
            break
        }
        previous = t
    }
    #expect(previous.wallMilliseconds == ms + 1)
    #expect(previous.counter == Int64(70_000 - 65_536 - 1))
}

@Test func sendFromCounterAtMaximumMovesToTheNextMillisecond() {
    var clock = HybridLogicalClock(last: HLC(wallMilliseconds: 5_000, counter: 65_535))
    let t = clock.send(now: Date(timeIntervalSince1970: 5))
    #expect(t.wallMilliseconds == 5_001)
    #expect(t.counter == 0)
    #expect(t > HLC(wallMilliseconds: 5_000, counter: 65_535))
}

// MARK: - receive

@Test func receiveOfARemoteStampMakesTheNextSendExceedIt() {
    var clock = HybridLogicalClock()
    _ = clock.send(now: newYear(2026))
    let remote = HLC(wallMilliseconds: HLC.milliseconds(newYear(2030)), counter: 12)
    clock.receive(remote)
    let next = clock.send(now: newYear(2026))
    #expect(next > remote)
}

@Test func receiveOfAnOlderStampDoesNotMoveTheClockBack() {
    var clock = HybridLogicalClock()
    let local = clock.send(now: newYear(2030))
    clock.receive(HLC(wallMilliseconds: HLC.milliseconds(newYear(2010))))
    #expect(clock.last == local)
    #expect(clock.send(now: newYear(2010)) > local)
}

@Test func receiveOfARemoteStampAtCounterMaximumStillLetsSendExceedIt() {
    var clock = HybridLogicalClock()
    let remote = HLC(wallMilliseconds: 9_000, counter: 65_535)
    clock.receive(remote)
    let next = clock.send(now: Date(timeIntervalSince1970: 9))
    #expect(next > remote)
}

// MARK: - Node ids

@Test func nodeIDsAre16LowercaseHexDigits() {
    for _ in 0..<50 {
        let id = makeNodeID()
        #expect(id.count == 16)
        #expect(id.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }, "\(id)")
    }
}

// MARK: - UUIDv7 record ids

@Test func recordIDHasCanonicalFormVersion7AndRFCVariant() {
    for _ in 0..<100 {
        let id = RecordID.make()
        let parts = id.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        #expect(parts == [8, 4, 4, 4, 12], "\(id)")
        #expect(id == id.lowercased(), "\(id)")
        let hex = hexDigits(id)
        #expect(hex[12] == "7", "version nibble of \(id)")
        #expect(["8", "9", "a", "b"].contains(hex[16]), "variant nibble of \(id)")
        #expect(RecordID.isValid(id))
    }
}

@Test func recordIDStartsWithItsMillisecondsInBigEndianHex() {
    let now = newYear(2026)
    let id = RecordID.make(now: now)
    let prefix = String(hexDigits(id)[0..<12])
    #expect(UInt64(prefix, radix: 16) == UInt64(HLC.milliseconds(now)))
}

@Test func recordIDsFromAGivenSeedAreReproducible() {
    var g1 = SplitMix64(state: 42)
    var g2 = SplitMix64(state: 42)
    let a = RecordID.make(milliseconds: 1_700_000_000_000, using: &g1)
    let b = RecordID.make(milliseconds: 1_700_000_000_000, using: &g2)
    #expect(a == b)
    var g3 = SplitMix64(state: 43)
    #expect(RecordID.make(milliseconds: 1_700_000_000_000, using: &g3) != a)
}

@Test func recordIDsSortAsStringsInTimeOrder() {
    var g = SplitMix64(state: 7)
    // Increasing times across several orders of magnitude, including a carry in every hex digit.
    let times: [UInt64] = [
        0, 1, 15, 16, 255, 256, 4_095, 4_096, 1_000_000, 1_700_000_000_000, 1_700_000_000_001,
        2_208_988_800_000, 0xFFFF_FFFF_FFFF,
    ]
    let ids = times.map { RecordID.make(milliseconds: $0, using: &g) }
    #expect(ids == ids.sorted())
    #expect(Set(ids).count == ids.count)
}

@Test func recordIDsMadeLaterSortAfterEarlierOnes() {
    let early = RecordID.make(now: newYear(2010))
    let late = RecordID.make(now: newYear(2040))
    #expect(early < late)
}

@Test func recordIDFromADateBefore1970UsesTimeZero() {
    let id = RecordID.make(now: Date(timeIntervalSince1970: -1_000))
    #expect(id.hasPrefix("00000000-0000-7"))
}

@Test func isValidAcceptsCanonicalUUIDsInEitherCase() {
    #expect(RecordID.isValid("0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e"))
    #expect(RecordID.isValid("0193F1C2-7A3E-7B1D-9C4E-2F6A8B0C1D2E"))
    // Any version, not only 7.
    #expect(RecordID.isValid("123e4567-e89b-42d3-a456-426614174000"))
}

@Test(arguments: [
    "",
    "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2",  // one digit short
    "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e0",  // one digit long
    "0193f1c27a3e7b1d9c4e2f6a8b0c1d2e",  // no dashes
    "0193f1c2-7a3e-7b1d-9c4e_2f6a8b0c1d2e",  // wrong separator
    "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2g",  // not hex
    "{0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e}",  // braces
    "0193f1c-27a3e-7b1d-9c4e-2f6a8b0c1d2e",  // dash misplaced
    "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1déé",  // non-ASCII
])
func isValidRejectsMalformedIDs(_ id: String) {
    #expect(!RecordID.isValid(id))
}

@Test func isoTimesMatchFoundationsFormatterAcrossCenturiesAndLeapDays() {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var rng = SeededRandom(seed: 11)
    var samples: [Int64] = [0, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, -86_400_001, 1_788_000_000_123]
    for _ in 0..<2000 { samples.append(Int64.random(in: -2_000_000_000_000...5_000_000_000_000, using: &rng)) }
    for ms in samples {
        #expect(HLC.iso(milliseconds: ms) == f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)), "\(ms)")
    }
}
