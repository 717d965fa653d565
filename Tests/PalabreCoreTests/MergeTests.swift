import Foundation
import Testing
import PalabreCore

// MARK: - Helpers

private let recordID = "0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e"
private let nodeA = "00000000000000aa"
private let nodeB = "00000000000000bb"
private let nodeC = "00000000000000cc"

private func emptyState(version: Int = 1) -> RecordState {
    RecordState(id: recordID, form: "session", formVersion: version, project: "p")
}

private func stamp(_ ms: Int64, _ node: String, counter: Int64 = 0) -> Stamp {
    Stamp(hlc: HLC(wallMilliseconds: ms, counter: counter), node: node)
}

private func change(_ stamp: Stamp, _ values: [String: Value?], prev: [String: Stamp] = [:], version: Int = 1) -> Change {
    Change(recordID: recordID, form: "session", formVersion: version, project: "p", stamp: stamp, values: values, prev: prev)
}

@discardableResult
private func applyAll(_ changes: [Change], to state: inout RecordState) -> [Superseded] {
    var out: [Superseded] = []
    for c in changes { out += Merge.apply(c, to: &state) }
    return out
}

private func merged(_ changes: [Change]) -> RecordState {
    var s = emptyState()
    applyAll(changes, to: &s)
    return s
}

/// Random changes to one record: distinct stamps (a stamp is one write), few fields, few values, ties on the clock
/// broken by node, cleared fields and tombstone writes included.
private func randomChanges(_ g: inout SplitMix64) -> [Change] {
    let fields = ["title", "region", "women_count", "themes", deletedField]
    let values: [Value?] = [
        .string("Bara"), .string("Gao"), .integer(3), .integer(4), .decimal(3), .list(["land", "water"]), .list([]), nil,
        .geopoint(latitude: 15.9, longitude: 0.39),
    ]
    let nodes = [nodeA, nodeB, nodeC]
    let count = Int.random(in: 1...9, using: &g)
    var used: Set<Stamp> = []
    var out: [Change] = []
    while out.count < count {
        // A small clock range so equal HLCs on different nodes occur often.
        let s = stamp(Int64.random(in: 1...4, using: &g), nodes.randomElement(using: &g)!, counter: Int64.random(in: 0...1, using: &g))
        guard used.insert(s).inserted else { continue }
        var vals: [String: Value?] = [:]
        var prev: [String: Stamp] = [:]
        for f in fields.shuffled(using: &g).prefix(Int.random(in: 1...3, using: &g)) {
            vals[f] = f == deletedField ? .some(.bool(Bool.random(using: &g))) : .some(values.randomElement(using: &g)!)
            if Bool.random(using: &g) { prev[f] = stamp(Int64.random(in: 0...4, using: &g), nodes.randomElement(using: &g)!) }
        }
        out.append(change(s, vals, prev: prev, version: Int.random(in: 1...3, using: &g)))
    }
    return out
}

/// The expected merge, computed independently: per field, the write with the highest (hlc, node) wins.
private func expectedWinners(_ changes: [Change]) -> (values: [String: Value], stamps: [String: Stamp]) {
    var best: [String: (Stamp, Value?)] = [:]
    for c in changes {
        for (f, v) in c.values {
            if let (s, _) = best[f], s > c.stamp { continue }
            best[f] = (c.stamp, v)
        }
    }
    return (best.compactMapValues { $0.1 }, best.mapValues { $0.0 })
}

private let seeds: [UInt64] = Array(1...300)

// MARK: - Algebra on random changes

@Test func eachFieldTakesTheValueOfTheWriteWithTheHighestStamp() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        let state = merged(changes)
        let expected = expectedWinners(changes)
        #expect(state.values == expected.values, "seed \(seed)")
        #expect(state.stamps == expected.stamps, "seed \(seed)")
    }
}

@Test func anyOrderOfChangesGivesTheSameState() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        let reference = merged(changes)
        for _ in 0..<6 {
            let other = merged(changes.shuffled(using: &g))
            #expect(other.values == reference.values, "seed \(seed)")
            #expect(other.stamps == reference.stamps, "seed \(seed)")
            #expect(other == reference, "seed \(seed)")
        }
        #expect(merged(changes.reversed()) == reference, "seed \(seed)")
    }
}

@Test func applyingDuplicatesChangesNothing() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        var state = merged(changes)
        let before = state
        // Every change again, in another order, some twice.
        applyAll(changes.shuffled(using: &g) + changes.prefix(3), to: &state)
        #expect(state == before, "seed \(seed)")
    }
}

@Test func applyingAWinningChangeAgainReportsNothing() {
    for seed in seeds.prefix(100) {
        var g = SplitMix64(seed: seed)
        // In stamp order every change wins all the fields it writes.
        let changes = randomChanges(&g).sorted { $0.stamp < $1.stamp }
        var state = emptyState()
        for c in changes {
            Merge.apply(c, to: &state)
            let again = Merge.apply(c, to: &state)
            #expect(again.isEmpty, "seed \(seed)")
        }
    }
}

@Test func twoReplicasExchangingBatchesConverge() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        let cut = Int.random(in: 0...changes.count, using: &g)
        let batch1 = Array(changes[..<cut])
        let batch2 = Array(changes[cut...])
        // Replica 1 saw batch 1 first, replica 2 batch 2 first; then each receives the other's (and its own again).
        var r1 = merged(batch1)
        var r2 = merged(batch2)
        applyAll(batch2, to: &r1)
        applyAll(changes.shuffled(using: &g), to: &r2)
        #expect(r1 == r2, "seed \(seed)")
        #expect(r1 == merged(changes), "seed \(seed)")
    }
}

@Test func splittingAChangeIntoOneChangePerFieldGivesTheSameState() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        var split: [Change] = []
        for c in changes {
            for (f, v) in c.values {
                var prev: [String: Stamp] = [:]
                prev[f] = c.prev[f]
                split.append(change(c.stamp, [f: v], prev: prev, version: c.formVersion))
            }
        }
        let whole = merged(changes)
        let parts = merged(split.shuffled(using: &g))
        #expect(parts.values == whole.values, "seed \(seed)")
        #expect(parts.stamps == whole.stamps, "seed \(seed)")
        #expect(parts.prevs == whole.prevs, "seed \(seed)")
    }
}

@Test func updatedIsTheHighestStampOfAnyWrite() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        #expect(merged(changes).updated == changes.map(\.stamp).max(), "seed \(seed)")
    }
}

@Test func formVersionIsTheVersionOfTheLatestChangeWhateverTheOrder() {
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        let latest = changes.max { $0.stamp < $1.stamp }!
        #expect(merged(changes.shuffled(using: &g)).formVersion == latest.formVersion, "seed \(seed)")
    }
}

// MARK: - Named cases: basics

@Test func aNewerWriteReplacesTheValueAndReportsTheOldOne() {
    var s = emptyState()
    let first = stamp(100, nodeA)
    let second = stamp(200, nodeA)
    #expect(Merge.apply(change(first, ["title": .string("Bara")]), to: &s).isEmpty)
    let out = Merge.apply(change(second, ["title": .string("Bamba")], prev: ["title": first]), to: &s)
    #expect(s.values["title"] == .string("Bamba"))
    #expect(s.stamps["title"] == second)
    #expect(out == [Superseded(field: "title", value: .string("Bara"), stamp: first, winner: second, conflict: false)])
}

@Test func anOlderWriteArrivingLateLosesButIsReported() {
    var s = emptyState()
    let older = stamp(100, nodeB)
    let newer = stamp(200, nodeA)
    Merge.apply(change(newer, ["title": .string("Bamba")]), to: &s)
    let out = Merge.apply(change(older, ["title": .string("Bara")]), to: &s)
    #expect(s.values["title"] == .string("Bamba"))
    #expect(s.stamps["title"] == newer)
    #expect(out.count == 1)
    #expect(out.first?.value == .string("Bara"))
    #expect(out.first?.stamp == older)
    #expect(out.first?.winner == newer)
}

@Test func equalClocksAreDecidedByTheHigherNode() {
    let hlcMs: Int64 = 500
    let low = change(stamp(hlcMs, nodeA), ["region": .string("gao")])
    let high = change(stamp(hlcMs, nodeB), ["region": .string("kidal")])
    #expect(merged([low, high]).values["region"] == .string("kidal"))
    #expect(merged([high, low]).values["region"] == .string("kidal"))
}

@Test func aNilValueClearsTheFieldButKeepsItsStamp() {
    var s = emptyState()
    Merge.apply(change(stamp(1, nodeA), ["summary": .string("x")]), to: &s)
    let clear = stamp(2, nodeA)
    Merge.apply(change(clear, ["summary": nil], prev: ["summary": stamp(1, nodeA)]), to: &s)
    #expect(s.values["summary"] == nil)
    #expect(s.stamps["summary"] == clear)
    // An older write of the field cannot bring a value back.
    Merge.apply(change(stamp(1, nodeB), ["summary": .string("old")]), to: &s)
    #expect(s.values["summary"] == nil)
}

@Test func aChangeOnlyTouchesTheFieldsItWrites() {
    var s = emptyState()
    Merge.apply(change(stamp(1, nodeA), ["title": .string("T"), "region": .string("gao")]), to: &s)
    Merge.apply(change(stamp(2, nodeB), ["region": .string("mopti")]), to: &s)
    #expect(s.values == ["title": .string("T"), "region": .string("mopti")])
    #expect(s.stamps["title"] == stamp(1, nodeA))
}

// MARK: - Named cases: deletion

@Test func aStaleEditDoesNotResurrectADeletedRecord() {
    let create = change(stamp(1, nodeA), ["title": .string("T")])
    let delete = change(stamp(3, nodeA), [deletedField: .bool(true)])
    // Edited elsewhere before the deletion was seen, and arriving after it.
    let staleEdit = change(stamp(2, nodeB), ["title": .string("T2")], prev: ["title": stamp(1, nodeA)])
    for order in [[create, delete, staleEdit], [create, staleEdit, delete], [staleEdit, delete, create]] {
        let s = merged(order)
        #expect(s.isDeleted)
        #expect(s.values["title"] == .string("T2"))
        #expect(s.fieldValues[deletedField] == nil)
    }
}

@Test func anEditLaterThanTheDeletionStillDoesNotResurrectTheRecord() {
    // A deletion is a field of its own: only a write of the tombstone brings the record back.
    let s = merged([
        change(stamp(1, nodeA), ["title": .string("T")]),
        change(stamp(2, nodeA), [deletedField: .bool(true)]),
        change(stamp(3, nodeB), ["title": .string("T3")]),
    ])
    #expect(s.isDeleted)
}

@Test func aLaterRestoreBringsTheRecordBack() {
    let delete = change(stamp(2, nodeA), [deletedField: .bool(true)])
    let restore = change(stamp(3, nodeB), [deletedField: .bool(false)], prev: [deletedField: stamp(2, nodeA)])
    #expect(!merged([delete, restore]).isDeleted)
    #expect(!merged([restore, delete]).isDeleted)
    #expect(merged([restore, delete]).values[deletedField] == .bool(false))
}

@Test func anOlderRestoreDoesNotUndoALaterDeletion() {
    let restore = change(stamp(2, nodeB), [deletedField: .bool(false)])
    let delete = change(stamp(3, nodeA), [deletedField: .bool(true)])
    #expect(merged([delete, restore]).isDeleted)
    #expect(merged([restore, delete]).isDeleted)
}

// MARK: - Named cases: conflicts

@Test func concurrentWritesToAFieldAreAConflictWhicheverArrivesFirst() {
    let base = stamp(1, nodeA)
    let create = change(base, ["region": .string("gao")])
    // Both writers saw the created value and nothing else.
    let onA = change(stamp(5, nodeA), ["region": .string("mopti")], prev: ["region": base])
    let onB = change(stamp(6, nodeB), ["region": .string("kidal")], prev: ["region": base])

    var s1 = merged([create])
    let out1 = applyAll([onA, onB], to: &s1)
    var s2 = merged([create])
    let out2 = applyAll([onB, onA], to: &s2)

    let lost = Superseded(field: "region", value: .string("mopti"), stamp: onA.stamp, winner: onB.stamp, conflict: true)
    #expect(out1.contains(lost))
    #expect(out2.contains(lost))
    #expect(s1.values["region"] == .string("kidal"))
    #expect(s2.values["region"] == .string("kidal"))
}

@Test func concurrentWritesWithoutAnyPrevAreAConflictWhicheverArrivesFirst() {
    let a = change(stamp(5, nodeA), ["title": .string("A")])
    let b = change(stamp(5, nodeB), ["title": .string("B")])
    var s1 = emptyState()
    let out1 = applyAll([a, b], to: &s1)
    var s2 = emptyState()
    let out2 = applyAll([b, a], to: &s2)
    let expected = [Superseded(field: "title", value: .string("A"), stamp: a.stamp, winner: b.stamp, conflict: true)]
    #expect(out1 == expected)
    #expect(out2 == expected)
}

@Test func aSequentialEditIsNotAConflictWhicheverArrivesFirst() {
    let first = change(stamp(1, nodeA), ["region": .string("gao")])
    // Written on B after seeing A's value: prev is the stamp it replaced.
    let second = change(stamp(2, nodeB), ["region": .string("kidal")], prev: ["region": first.stamp])
    var s1 = emptyState()
    let out1 = applyAll([first, second], to: &s1)
    var s2 = emptyState()
    let out2 = applyAll([second, first], to: &s2)
    let expected = [Superseded(field: "region", value: .string("gao"), stamp: first.stamp, winner: second.stamp, conflict: false)]
    #expect(out1 == expected)
    #expect(out2 == expected)
}

@Test func equalValuesWrittenConcurrentlyAreNotAConflict() {
    let a = change(stamp(5, nodeA), ["region": .string("gao")])
    let b = change(stamp(6, nodeB), ["region": .string("gao")])
    var s1 = emptyState()
    let out1 = applyAll([a, b], to: &s1)
    var s2 = emptyState()
    let out2 = applyAll([b, a], to: &s2)
    #expect(out1.count == 1)
    #expect(out2.count == 1)
    #expect(out1.allSatisfy { !$0.conflict })
    #expect(out2.allSatisfy { !$0.conflict })
    #expect(s1 == s2)
}

@Test func concurrentClearAndWriteAreAConflict() {
    let base = change(stamp(1, nodeA), ["summary": .string("x")])
    let clear = change(stamp(5, nodeA), ["summary": nil], prev: ["summary": base.stamp])
    let write = change(stamp(6, nodeB), ["summary": .string("y")], prev: ["summary": base.stamp])
    var s1 = merged([base])
    let out1 = applyAll([clear, write], to: &s1)
    var s2 = merged([base])
    let out2 = applyAll([write, clear], to: &s2)
    let lost = Superseded(field: "summary", value: nil, stamp: clear.stamp, winner: write.stamp, conflict: true)
    #expect(out1.contains(lost))
    #expect(out2.contains(lost))
}

@Test func theRunnerUpsConflictFlagIsTheSameInStampOrderAndInReverseOrder() {
    // In stamp order the final winner replaces the runner-up; in reverse order the runner-up arrives and loses to
    // the final winner. Both must report the runner-up once, against the winner, with the same conflict flag.
    for seed in seeds {
        var g = SplitMix64(seed: seed)
        let changes = randomChanges(&g)
        let sorted = changes.sorted { $0.stamp < $1.stamp }
        var forward = emptyState()
        let outForward = applyAll(sorted, to: &forward)
        var backward = emptyState()
        let outBackward = applyAll(sorted.reversed(), to: &backward)
        for (field, winner) in forward.stamps {
            guard let runnerUp = sorted.last(where: { $0.values.keys.contains(field) && $0.stamp < winner }) else { continue }
            let f = outForward.filter { $0.field == field && $0.stamp == runnerUp.stamp && $0.winner == winner }
            let b = outBackward.filter { $0.field == field && $0.stamp == runnerUp.stamp && $0.winner == winner }
            #expect(f.count == 1, "seed \(seed), field \(field)")
            #expect(f == b, "seed \(seed), field \(field)")
        }
    }
}
