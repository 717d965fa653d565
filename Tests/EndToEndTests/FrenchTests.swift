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

    /// With French chosen (by --lang, $PALABRE_LANG or the store's language), `--help` is French, the argument parser's
    /// frame and errors included; English stays English.
    @Test func helpAndTheParsersErrorsAreInTheLanguageChosen() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let english = ["OVERVIEW", "USAGE:", "The store file", "Show help information", "Validate and save", "(default: "]
        for args in [["add", "--help", "--lang", "fr"], ["help", "add", "--lang", "fr"], ["sync", "--help", "--lang", "fr"]] {
            let r = try E2E.run(box.binary, args, in: box.dir, environment: ["PALABRE_STORE": box.store])
            #expect(r.status == 0 && r.stdout.hasPrefix("PRÉSENTATION :") && r.stdout.contains("UTILISATION :"), "\(args): \(r)")
            #expect(r.stdout.contains("Affiche cette aide.") && r.stdout.contains("par défaut"), "\(args): \(r)")
            for word in english { #expect(!r.stdout.contains(word), "\(args): '\(word)' in\n\(r.stdout)") }
        }
        // The store's language, set at init, is enough (box's store was made with --lang en: make a French one).
        let fr = box.path("fr.sqlite")
        #expect(try E2E.run(box.binary, ["init", "--store", fr, "--lang", "fr"], in: box.dir).status == 0)
        let byStore = try E2E.run(box.binary, ["--help"], in: box.dir, environment: ["PALABRE_STORE": fr])
        #expect(byStore.stdout.hasPrefix("PRÉSENTATION :") && byStore.stdout.contains("SOUS-COMMANDES :"), "\(byStore)")
        let byEnv = try E2E.run(box.binary, ["list", "--help"], in: box.dir, environment: ["PALABRE_LANG": "fr", "PALABRE_STORE": box.store])
        #expect(byEnv.stdout.hasPrefix("PRÉSENTATION :"), "\(byEnv)")
        let missing = try E2E.run(box.binary, ["show", "--lang", "fr"], in: box.dir, environment: ["PALABRE_STORE": box.store])
        #expect(missing.status == 64 && missing.stderr.contains("Erreur : il manque l'argument '<id>'"), "\(missing)")
        let inEnglish = try E2E.run(box.binary, ["add", "--help", "--lang", "en"], in: box.dir, environment: ["PALABRE_STORE": fr])
        #expect(inEnglish.stdout.hasPrefix("OVERVIEW: Validate and save") && !inEnglish.stdout.contains("PRÉSENTATION"), "\(inEnglish)")
    }
}
