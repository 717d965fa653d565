import Crypto
import Foundation
import PalabreCore
import PalabreStore
import Testing

/// A protected store: its sync token is in no file Palabre leaves, before or after unlocking; the passphrase opens it
/// for the day, a wrong one does not; a wipe makes it noise for good.
@Suite struct ProtectionTests {
    static let token = "plb_TOKEN_THAT_MUST_NOT_LEAK_4242"

    func withStore(_ body: (FieldStore, String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try FieldStore(path: dir + "/s.sqlite")
        defer { try? store.lock() }
        try body(store, dir)
    }

    /// Every byte of every file in the folder (the store, its WAL and shared memory), as text.
    func leaks(_ secret: String, in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            return data.range(of: Data(secret.utf8)) != nil
        }
    }

    @Test func theTokenIsSealedInEveryFileAndOpensOnlyWithThePassphrase() throws {
        try withStore { store, dir in
            try store.setRemote(Remote(url: "http://centre:8080", token: Self.token))
            #expect(!(try leaks(Self.token, in: dir)).isEmpty, "in plain before: the check can see it")
            try store.protect(passphrase: "le vent du fleuve")
            #expect(try leaks(Self.token, in: dir).isEmpty, "sealed, and no old page keeps it")
            #expect(try store.remote()?.token == Self.token, "unlocked for the day by protect")
            try store.lock()
            #expect(throws: StoreError.locked) { try store.remote() }
            #expect(try store.remoteURL() == "http://centre:8080", "the service's address stays readable")
            #expect(throws: StoreError.wrongPassphrase) { try store.unlock(passphrase: "le vent du désert") }
            #expect(throws: StoreError.locked) { try store.remote() }
            let until = try store.unlock(passphrase: "le vent du fleuve")
            #expect(until.timeIntervalSinceNow > 11 * 3600 && until.timeIntervalSinceNow <= 12 * 3600 + 5)
            #expect(try store.remote()?.token == Self.token)
            #expect(try leaks(Self.token, in: dir).isEmpty, "unlocking writes nothing to the store's folder")
            // A token set while locked is sealed at once: the public key is enough.
            try store.lock()
            try store.setRemote(Remote(url: "http://centre:8080", token: Self.token + "_NEW"))
            #expect(try leaks(Self.token + "_NEW", in: dir).isEmpty)
            try store.unlock(passphrase: "le vent du fleuve")
            #expect(try store.remote()?.token == Self.token + "_NEW")
        }
    }

    @Test func aWipeDestroysTheKeyAndThePassphraseNoLongerOpensAnything() throws {
        try withStore { store, dir in
            try store.setRemote(Remote(url: "http://centre:8080", token: Self.token))
            try store.protect(passphrase: "le vent du fleuve")
            try store.wipe()
            #expect(try store.protectionState() == .wiped)
            #expect(throws: StoreError.wiped) { try store.remote() }
            #expect(throws: StoreError.wiped) { try store.unlock(passphrase: "le vent du fleuve") }
            #expect(try leaks(Self.token, in: dir).isEmpty)
            // A new passphrase: the dead token is dropped, a new one is sealed.
            try store.protect(passphrase: "une autre phrase")
            #expect(try store.remote()?.token == "")
            try store.setRemote(Remote(url: "http://centre:8080", token: "plb_second"))
            #expect(try store.remote()?.token == "plb_second")
        }
    }

    @Test func aShortPassphraseOrASecondProtectIsRefused() throws {
        try withStore { store, _ in
            #expect(throws: StoreError.self, "an unprotected store has nothing to wipe: said, not pretended") { try store.wipe() }
            #expect(throws: StoreError.self) { try store.protect(passphrase: "court") }
            try store.protect(passphrase: "assez longue phrase")
            #expect(throws: StoreError.refused("this store is already protected: 'palabre unlock' opens it")) {
                try store.protect(passphrase: "une autre phrase")
            }
        }
    }

    @Test func aSealedValueOpensOnlyWithItsKeyAndUnaltered() throws {
        let (key, privateKey) = try StoreKey.make(passphrase: "phrase de test", cost: (rounds: 1 << 10, blockSize: 8, parallelism: 1))
        let sealed = try Sealing.seal("Aminata Traoré", for: key.publicKey)
        #expect(Sealing.isSealed(sealed) && !sealed.contains("Aminata"))
        #expect(Sealing.open(sealed, with: privateKey) == "Aminata Traoré")
        #expect(Sealing.open(sealed, with: Curve25519.KeyAgreement.PrivateKey()) == nil, "another store's key")
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(Sealing.open(String(decoding: bytes, as: UTF8.self), with: privateKey) == nil, "altered")
        #expect(try key.unwrap(passphrase: "phrase de test")?.rawRepresentation == privateKey.rawRepresentation)
        #expect(try key.unwrap(passphrase: "phrase de tesT") == nil)
    }
}
