import Crypto
import Foundation
import PalabreCore
import _CryptoExtras

/// Values sealed for one store: readable only with the store's private key, which its facilitator's passphrase unlocks.
///
/// Sealing needs only the public key, so a locked store still captures and receives. A sealed value is the text
/// `sealed:v1:` followed by the base64 of an ephemeral X25519 public key (32 bytes), the AES-GCM nonce (12), the
/// ciphertext and its tag (16); the AES key is HKDF-SHA256 of the X25519 agreement, salted with both public keys. An
/// ephemeral key is made once per process and its agreement cached, so sealing many values costs one agreement.
public enum Sealing {
    /// What every sealed text starts with.
    public static let prefix = SealedText.prefix

    /// Whether a text is sealed.
    public static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// The AES key for an agreement between an ephemeral key and a store key.
    static func key(_ shared: SharedSecret, ephemeral: Data, recipient: Data) -> SymmetricKey {
        shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: ephemeral + recipient, sharedInfo: Data("palabre sealed value v1".utf8), outputByteCount: 32)
    }

    /// One process's ephemeral key per store public key, with its derived AES key.
    final class Sealer: @unchecked Sendable {
        static let shared = Sealer()
        private let lock = NSLock()
        private var keys: [Data: (ephemeral: Data, key: SymmetricKey)] = [:]

        func key(for recipient: Data) throws -> (ephemeral: Data, key: SymmetricKey) {
            lock.lock()
            defer { lock.unlock() }
            if let k = keys[recipient] { return k }
            let ephemeral = Curve25519.KeyAgreement.PrivateKey()
            let shared = try ephemeral.sharedSecretFromKeyAgreement(with: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient))
            let pub = ephemeral.publicKey.rawRepresentation
            let k = (pub, Sealing.key(shared, ephemeral: pub, recipient: recipient))
            keys[recipient] = k
            return k
        }
    }

    /// Seals a text for the store whose public key this is.
    public static func seal(_ text: String, for publicKey: Data) throws -> String {
        let (ephemeral, key) = try Sealer.shared.key(for: publicKey)
        let box = try AES.GCM.seal(Data(text.utf8), using: key)
        return prefix + (ephemeral + box.nonce.withUnsafeBytes { Data($0) } + box.ciphertext + box.tag).base64EncodedString()
    }

    /// Opens a sealed text with the store's private key; nil when it is not sealed for this key or was altered.
    public static func open(_ sealed: String, with privateKey: Curve25519.KeyAgreement.PrivateKey) -> String? {
        guard isSealed(sealed), let raw = Data(base64Encoded: String(sealed.dropFirst(prefix.count))), raw.count >= 32 + 12 + 16
        else { return nil }
        let ephemeral = raw.prefix(32)
        guard let pub = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeral),
            let shared = try? privateKey.sharedSecretFromKeyAgreement(with: pub),
            let nonce = try? AES.GCM.Nonce(data: raw.dropFirst(32).prefix(12)),
            let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: raw.dropFirst(44).dropLast(16), tag: raw.suffix(16)),
            let plain = try? AES.GCM.open(box, using: key(shared, ephemeral: Data(ephemeral), recipient: privateKey.publicKey.rawRepresentation))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}

/// A store's key pair, its private half wrapped under the facilitator's passphrase.
public struct StoreKey: Sendable, Equatable {
    /// The public key (raw X25519, 32 bytes): seals.
    public var publicKey: Data
    /// The private key, AES-GCM sealed under the passphrase's key (nonce, ciphertext, tag).
    public var wrapped: Data
    /// The scrypt salt.
    public var salt: Data
    /// scrypt's cost: N (rounds), r (block size), p.
    public var rounds: Int, blockSize: Int, parallelism: Int

    /// scrypt's parameters for new keys, OWASP's minimum: 2^17 × 8 × 128 bytes = 128 MiB of memory per guess.
    public static let defaultCost = (rounds: 1 << 17, blockSize: 8, parallelism: 1)

    /// Makes a key pair and wraps its private half under a passphrase.
    public static func make(
        passphrase: String, cost: (rounds: Int, blockSize: Int, parallelism: Int) = defaultCost
    ) throws -> (
        StoreKey, Curve25519.KeyAgreement.PrivateKey
    ) {
        let privateKey = Curve25519.KeyAgreement.PrivateKey()
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let kek = try derive(passphrase, salt: salt, cost)
        let box = try AES.GCM.seal(privateKey.rawRepresentation, using: kek)
        let key = StoreKey(
            publicKey: privateKey.publicKey.rawRepresentation, wrapped: box.combined!, salt: salt, rounds: cost.rounds,
            blockSize: cost.blockSize, parallelism: cost.parallelism)
        return (key, privateKey)
    }

    /// The private key, when the passphrase is right; nil otherwise.
    public func unwrap(passphrase: String) throws -> Curve25519.KeyAgreement.PrivateKey? {
        let kek = try Self.derive(passphrase, salt: salt, (rounds, blockSize, parallelism))
        guard let box = try? AES.GCM.SealedBox(combined: wrapped), let raw = try? AES.GCM.open(box, using: kek) else { return nil }
        return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
    }

    static func derive(_ passphrase: String, salt: Data, _ cost: (rounds: Int, blockSize: Int, parallelism: Int)) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Data(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: cost.rounds, blockSize: cost.blockSize,
            parallelism: cost.parallelism)
    }

    /// The key as the store's `meta` keeps it.
    var text: String {
        [
            "v1", publicKey.base64EncodedString(), wrapped.base64EncodedString(), salt.base64EncodedString(), "\(rounds)", "\(blockSize)",
            "\(parallelism)",
        ]
        .joined(separator: ":")
    }

    init(publicKey: Data, wrapped: Data, salt: Data, rounds: Int, blockSize: Int, parallelism: Int) {
        self.publicKey = publicKey
        self.wrapped = wrapped
        self.salt = salt
        self.rounds = rounds
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    init?(text: String) {
        let p = text.split(separator: ":").map(String.init)
        guard p.count == 7, p[0] == "v1", let pub = Data(base64Encoded: p[1]), let w = Data(base64Encoded: p[2]),
            let s = Data(base64Encoded: p[3]), let n = Int(p[4]), let r = Int(p[5]), let q = Int(p[6]),
            // A cost no one chose (an edited file) could make unlock take hours or all memory.
            n >= 1 << 10, n <= 1 << 22, n & (n - 1) == 0, (1...32).contains(r), (1...16).contains(q), pub.count == 32
        else { return nil }
        self.init(publicKey: pub, wrapped: w, salt: s, rounds: n, blockSize: r, parallelism: q)
    }
}
