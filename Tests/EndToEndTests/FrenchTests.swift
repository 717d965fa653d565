import Foundation
import Testing

/// `--lang fr` speaks French; `--lang en` English.
@Suite("Languages")
struct FrenchTests {
    let badChoice = [
        "add", "session", "--set", "title=T", "--set", "date=2026-09-08", "--set", "region=atlantis",
        "--set", "locality=Bara", "--set", "format=women",
    ]

    @Test func refusalIsInFrenchWithLangFr() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre(badChoice, lang: "fr")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("session.region: 'atlantis' n'est pas l'un de kayes"), "\(r)")
        #expect(!r.stderr.contains("is not one of"), "\(r)")
    }

    @Test func refusalIsInEnglishWithLangEn() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre(badChoice, lang: "en")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("session.region: 'atlantis' is not one of kayes"), "\(r)")
        #expect(!r.stderr.contains("n'est pas"), "\(r)")
    }

    @Test func ruleMessagesOfTheFormAreInFrench() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre(["add", "initiative", "--set", "title=Puits", "--set", "type=well", "--set", "priority=9"], lang: "fr")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("initiative.priority: '9' ne respecte pas la règle"), "\(r)")
        #expect(r.stderr.contains("La priorité doit être comprise entre 1 et 5."), "\(r)")
    }

    @Test func unknownIdIsInFrench() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre(["show", "01a0805a-59c0-73c6-869a-000000000000"], lang: "fr")
        #expect(r.status == 66, "\(r)")
        #expect(r.stderr.contains("aucun enregistrement n'a l'identifiant"), "\(r)")
    }

    @Test func importSummaryIsInFrench() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre(["import", E2E.demoFile], lang: "fr")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("312 enregistrement(s) importé(s)"), "\(r)")
        let again = try box.palabre(["import", E2E.demoFile], lang: "fr")
        #expect(again.stdout.contains("312 déjà présent(s)"), "\(again)")
    }

    @Test func showUsesFrenchLabels() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        let r = try box.palabre(["show", id], lang: "fr")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Séance de dialogue \(id)"), "\(r)")
        #expect(r.stdout.contains("Vestibule de la paix intergénérationnel"), "\(r)")
        #expect(r.stdout.contains("saisi le"), "\(r)")
    }

    @Test func storeLanguageSetByInitIsUsedWithoutLangOption() throws {
        let box = try Sandbox()
        defer { box.remove() }
        #expect(try box.palabre(["init", "--device", "gao-3"], lang: "fr").status == 0)
        // No --lang: the store's language applies.
        let r = try E2E.run(box.binary, badChoice + ["--store", box.store, "--forms", E2E.formsDir], in: box.dir)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("n'est pas l'un de"), "\(r)")
    }
}
