import Crypto
import Foundation
import GRDB
import PalabreCore

/// How one operation on a protected store seals and opens values (DESIGN.md, *Protection*).
///
/// Sensitive and contact fields are sealed wherever the store keeps a value: the record's values and withheld values,
/// its history, the change log and what is set aside. A value is sealed as its JSON text, so its type comes back when
/// it is opened. Which fields are sensitive comes from the forms the operation knows; a record of a form it does not
/// know has every value sealed (nothing says the others are safe to leave readable).
public struct Seal {
    /// Seals; nil on a wiped store (nothing can be sealed until a new passphrase is set).
    let publicKey: Data?
    /// Opens; nil while the store is locked.
    let privateKey: Curve25519.KeyAgreement.PrivateKey?
    /// The forms, by name, that say which fields are sensitive.
    var forms: [String: Form] = [:]

    /// Whether a field of a form is sealed.
    func seals(form: String, field: String) -> Bool {
        if field == deletedField { return false }
        guard let f = forms[form] else { return true }
        guard let def = f.field(field) else { return true }
        return def.sensitive || def.contact
    }

    /// A value sealed (one already sealed is kept as it is).
    func sealed(_ value: Value) throws -> Value {
        if SealedText.isSealed(value) { return value }
        guard let publicKey else { throw StoreError.wiped }
        return .string(try Sealing.seal(value.json.serialized, for: publicKey))
    }

    /// A value opened, when it is sealed and the store is unlocked; nil when it cannot be (locked, or destroyed by a
    /// wipe); a plain value as it is.
    func opened(_ value: Value) -> Value? {
        guard case .string(let s) = value, Sealing.isSealed(s) else { return value }
        guard let privateKey, let text = Sealing.open(s, with: privateKey), let json = try? JSON.parse(text),
            let v = try? Value(json: json)
        else { return nil }
        return v
    }

    /// Opens what can be opened (the rest stays sealed, shown as a padlock).
    func opening(_ value: Value) -> Value { opened(value) ?? value }

    /// A record's values and withheld values sealed where its form says so.
    func sealing(_ state: RecordState) throws -> RecordState {
        var s = state
        for (k, v) in s.values where seals(form: s.form, field: k) { s.values[k] = try sealed(v) }
        for (k, v) in s.withheld where seals(form: s.form, field: k) { s.withheld[k] = try sealed(v) }
        return s
    }

    /// A record's values opened where they can be.
    func opening(_ state: RecordState) -> RecordState {
        guard privateKey != nil else { return state }
        var s = state
        for (k, v) in s.values { s.values[k] = opening(v) }
        for (k, v) in s.withheld { s.withheld[k] = opening(v) }
        return s
    }

    /// A change's values sealed where its form says so (`all`: every value, for what is set aside).
    func sealing(_ change: Change, all: Bool = false) throws -> Change {
        var c = change
        for (k, v) in c.values where k != deletedField && (all || seals(form: c.form, field: k)) {
            if let v { c.values[k] = .some(try sealed(v)) }
        }
        return c
    }

    /// A change's values opened where they can be.
    func opening(_ change: Change) -> Change {
        guard privateKey != nil else { return change }
        var c = change
        for (k, v) in c.values { if let v { c.values[k] = .some(opening(v)) } }
        return c
    }

    /// A stored record, a history entry, a conflict opened where they can be.
    func opening(_ r: StoredRecord) -> StoredRecord {
        guard privateKey != nil else { return r }
        var o = r
        o.state = opening(r.state)
        return o
    }

    func opening(_ h: HistoryEntry) -> HistoryEntry {
        guard privateKey != nil, let v = h.superseded.value else { return h }
        var o = h
        o.superseded.value = opening(v)
        return o
    }

    func opening(_ c: Conflict) -> Conflict {
        guard privateKey != nil else { return c }
        var o = c
        o.entry = opening(c.entry)
        o.current = c.current.map(opening)
        return o
    }

    /// Whether a change, a record or a value holds something sealed.
    static func holdsSealed(_ change: Change) -> Bool { change.values.values.contains { SealedText.isSealed($0 ?? nil) } }
    static func holdsSealed(_ state: RecordState) -> Bool {
        state.values.values.contains(where: SealedText.isSealed) || state.withheld.values.contains(where: SealedText.isSealed)
    }
}

extension FieldStore {
    /// The sealing of an operation inside a transaction: nil on a store that is not protected (and was never wiped).
    ///
    /// The key pair is read from `meta`; the private half only when the store is unlocked (and `opening`).
    func seal(_ db: Database, forms: [Form] = [], opening: Bool = true) throws -> Seal? {
        switch try Self.protection(db) {
        case .none: return nil
        case .wiped: return Seal(publicKey: nil, privateKey: nil, forms: Dictionary(forms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
        case .protected(let key):
            let k = opening ? UnlockCache.read(Self.cacheName(key), now: now()) : nil
            return Seal(
                publicKey: key.publicKey, privateKey: k?.publicKey.rawRepresentation == key.publicKey ? k : nil,
                forms: Dictionary(forms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// The sealing of a protected store with its public key only (seals, opens nothing): nil when not protected.
    static func publicSeal(_ db: Database) throws -> Seal? {
        switch try protection(db) {
        case .none: return nil
        case .wiped: return Seal(publicKey: nil, privateKey: nil)
        case .protected(let key): return Seal(publicKey: key.publicKey, privateKey: nil)
        }
    }

    /// The sealing for a read: nil when the store is not protected, else the store's key as far as it is unlocked.
    func readingSeal() throws(StoreError) -> Seal? {
        try run { try pool.read { db in try self.seal(db) } }
    }
}

extension FormCatalog {
    /// Every form of the catalog, latest versions, for a ``Seal``.
    var latestForms: [Form] { names.compactMap { self[$0] } }
}

extension StoredRecord {
    /// Whether some of its values are still sealed as read (the store is locked, or was wiped).
    public var holdsSealedValues: Bool { Seal.holdsSealed(state) }
}
