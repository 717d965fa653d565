import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

/// The store's remote (the service's URL and this laptop's token) and the one way the CLI talks to it: `sync`,
/// `export --remote` and `indicators --remote` get the same messages and the same exit codes.
///
/// | failure | exit |
/// |---|---|
/// | no remote set | 66 |
/// | the service cannot be reached, or failed (5xx, an unreadable answer): try again later | 69 |
/// | the service refused the token, or the request (4xx: another project, a node of another laptop); the store is locked or wiped | 77 |
/// | the store cannot be used, or a downloaded file cannot be written here | 74 |
struct RemoteAccess {
    let url: String
    let token: String
    /// The language of the store's messages.
    var lang: Language = .en

    /// The store's remote; without one, says how to set it and exits 66.
    static func of(_ store: FieldStore, _ lang: Language) throws -> RemoteAccess {
        let found: PalabreStore.Remote?
        do { found = try store.remote() } catch { throw report(error, lang: lang) }
        guard let remote = found, !remote.token.isEmpty else {
            printError(Words(lang).noRemote)
            throw ExitCode(66)
        }
        return RemoteAccess(url: remote.url, token: remote.token, lang: lang)
    }

    /// Runs `body` with a transport to the service, shut down afterwards whatever happened (AsyncHTTPClient must be);
    /// a failure is printed as a sentence and becomes its exit code (see the table above). `before` runs first on a
    /// failure (to clear a progress line).
    func run<T>(before failing: () -> Void = {}, _ body: (HTTPTransport) async throws -> T) async throws -> T {
        let transport = HTTPTransport(url: url, token: token)
        let result: Result<T, any Error>
        do { result = .success(try await body(transport)) } catch { result = .failure(error) }
        try? await transport.shutdown()
        switch result {
        case .success(let value): return value
        case .failure(let error):
            failing()
            throw Self.report(error, lang: lang)
        }
    }

    /// Prints what went wrong and returns the exit to throw.
    static func report(_ error: any Error, lang: Language = .en) -> ExitCode {
        switch error {
        case let e as SyncError:
            printError(Words(lang).syncFailure(e))
            return ExitCode(exitCode(for: e))
        case let e as StoreError:
            printError(e.message(lang))
            // Locked (or wiped): the store refuses to give the token, as the service would refuse a bad one.
            switch e {
            case .locked, .wiped: return ExitCode(77)
            default: return ExitCode(74)
            }
        case let e as ExitCode:
            return e
        case let e as LocalFileError:
            printError(e.message)
            return ExitCode(74)
        default:
            printError("\(error)")
            return ExitCode(1)
        }
    }

    /// A query string from named values, each percent-encoded (a region may hold a space or `&`); absent and empty
    /// values are left out, as the service refuses an empty parameter.
    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return items.compactMap { name, value in
            guard let value, !value.isEmpty else { return nil }
            return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
    }

    /// The exit code of a sync failure.
    static func exitCode(for error: SyncError) -> Int32 {
        switch error {
        case .noRemote: return 66
        case .offline, .service: return 69
        case .unauthorized, .refused: return 77
        }
    }
}
