import Crypto
import Foundation
import PalabreCore

/// What analysts see instead of a sensitive value, on both backends.
enum Pseudonym {
    /// A stable pseudonym: the same value of the same field gets the same one in every export; without the key it
    /// cannot be reversed. Case and spacing are ignored, so "Awa  Maïga" and "awa maïga" are one person.
    static func of(_ form: Form, _ field: Field, _ value: Value, key: Data) -> Value {
        let normalised = value.displayString.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(form.name).\(field.name)\u{1F}\(normalised)".utf8), using: SymmetricKey(data: key))
        return .string("anon-" + Data(mac).prefix(8).hex)
    }
}
