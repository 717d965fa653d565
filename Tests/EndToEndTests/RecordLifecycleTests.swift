import Foundation
import Testing

/// add, list, show, edit, history, delete and restore through the real binary.
@Suite("Record lifecycle")
struct RecordLifecycleTests {
    @Test func addPrintsAnIdThatListJSONThenHoldsWithTheGivenValues() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre([
            "add", "session", "--set", "title=Vestibule de la paix à Bara", "--set", "date=2026-09-08", "--set", "region=gao",
            "--set", "locality=Bara", "--set", "format=intergenerational", "--set", "themes=water pasture", "--set", "women_count=14",
        ])
        #expect(r.status == 0, "\(r)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(E2E.isRecordID(id), "add should print only the new id: \(r)")

        let all = try box.list()
        #expect(all.count == 1)
        let record = try #require(all.first { $0["id"] as? String == id }, "list --json lacks \(id): \(all)")
        #expect(record["form"] as? String == "session")
        let v = values(record)
        #expect(v["title"] as? String == "Vestibule de la paix à Bara")
        #expect(v["date"] as? String == "2026-09-08")
        #expect(v["region"] as? String == "gao")
        #expect(v["locality"] as? String == "Bara")
        #expect(v["format"] as? String == "intergenerational")
        #expect(v["themes"] as? [String] == ["water", "pasture"])
        #expect(v["women_count"] as? Int == 14)
        #expect(v["cercle"] == nil, "a field not given must not appear")
    }

    @Test func listJSONOfAnotherFormLeavesTheRecordOut() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        #expect(ids(try box.list("session")) == [id])
        #expect(try box.list("initiative").isEmpty)
    }

    @Test func addFillsTheFormDefaultOfAFieldNotGiven() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.add("initiative", ["title": "Puits pastoral de Bara", "type": "well"])
        #expect(values(try box.show(id))["status"] as? String == "proposed")
    }

    @Test func showJSONGivesTheRecordWithItsValues() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession(title: "Espace des femmes d'Ansongo")
        let record = try box.show(id)
        #expect(record["id"] as? String == id)
        #expect(record["form"] as? String == "session")
        #expect(record["deleted"] as? Bool == false)
        #expect(values(record)["title"] as? String == "Espace des femmes d'Ansongo")
        #expect(values(record)["region"] as? String == "gao")
    }

    @Test func showWithoutJSONPrintsLabelsAndChoiceLabels() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        let r = try box.palabre("show", id)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Dialogue session \(id)"), "\(r)")
        #expect(r.stdout.contains("Session title"), "\(r)")
        #expect(r.stdout.contains("Intergenerational peace vestibule"), "choice shown by its label: \(r)")
    }

    @Test func editChangesAValueAndHistoryListsTheReplacedValue() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession(title: "Premier titre")
        let initial = try box.show(id, history: true)
        #expect((initial["history"] as? [Any])?.isEmpty == true, "a new record has an empty history: \(initial)")

        let r = try box.palabre("edit", id, "--set", "title=Titre corrigé", "--set", "region=tombouctou")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("edited \(id)"), "\(r)")

        let shown = try box.show(id, history: true)
        #expect(values(shown)["title"] as? String == "Titre corrigé")
        #expect(values(shown)["region"] as? String == "tombouctou")
        #expect(values(shown)["locality"] as? String == "Bara", "fields not edited stay")
        let history = try #require(shown["history"] as? [[String: Any]], "show --history --json has no history array: \(shown)")
        let title = history.first { $0["field"] as? String == "title" }
        #expect(title?["value"] as? String == "Premier titre", "history: \(history)")
        let region = history.first { $0["field"] as? String == "region" }
        #expect(region?["value"] as? String == "gao", "history: \(history)")
        #expect(history.count == 2, "only the two replaced values: \(history)")
    }

    @Test func editWithTheSameValueChangesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession(title: "Même titre")
        let before = try box.dump()
        let r = try box.palabre("edit", id, "--set", "title=Même titre")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("nothing changed"), "\(r)")
        #expect(try box.dump() == before)
    }

    @Test func editUnsetOfARequiredFieldIsRefused() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        let before = try box.dump()
        let r = try box.palabre("edit", id, "--unset", "locality")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("session.locality is required"), "\(r)")
        #expect(try box.dump() == before)
    }

    @Test func editUnsetClearsAnOptionalField() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.add(
            "session",
            [
                "title": "T", "date": "2026-09-08", "region": "gao", "locality": "Bara",
                "format": "women", "cercle": "Ansongo",
            ])
        let r = try box.palabre("edit", id, "--unset", "cercle")
        #expect(r.status == 0, "\(r)")
        #expect(values(try box.show(id))["cercle"] == nil)
    }

    @Test func deleteHidesTheRecordFromListButListDeletedShowsIt() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let kept = try box.addSession(title: "Gardée")
        let gone = try box.addSession(title: "Supprimée")
        let r = try box.palabre("delete", gone)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("deleted \(gone)"), "\(r)")

        #expect(ids(try box.list()) == [kept])
        let withDeleted = try box.list(deleted: true)
        #expect(Set(ids(withDeleted)) == [kept, gone])
        #expect(withDeleted.first { $0["id"] as? String == gone }?["deleted"] as? Bool == true)
        #expect(try box.show(gone)["deleted"] as? Bool == true)
    }

    @Test func editOfADeletedRecordExits65AndChangesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession()
        #expect(try box.palabre("delete", id).status == 0)
        let before = try box.dump()
        let r = try box.palabre("edit", id, "--set", "title=Nouveau")
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("is deleted") && r.stderr.contains("palabre restore \(id)"), "\(r)")
        #expect(try box.dump() == before)
    }

    @Test func restoreBringsADeletedRecordBackWithItsValues() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.addSession(title: "Revenue")
        #expect(try box.palabre("delete", id).status == 0)
        #expect(try box.list().isEmpty)
        let r = try box.palabre("restore", id)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("restored \(id)"), "\(r)")
        let listed = try box.list()
        #expect(ids(listed) == [id])
        #expect(values(listed[0])["title"] as? String == "Revenue")
        #expect(try box.palabre("edit", id, "--set", "title=Éditable").status == 0, "a restored record can be edited again")
    }

    @Test func listWhereKeepsOnlyMatchingRecords() throws {
        let box = try Sandbox()
        defer { box.remove() }
        try box.importDemo()
        let r = try box.palabre("list", "participant", "--where", "sex=female", "--where", "age_band=18_24", "--json")
        #expect(r.status == 0, "\(r)")
        let found = try Sandbox.jsonArray(r.stdout)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { values($0)["sex"] as? String == "female" && values($0)["age_band"] as? String == "18_24" })
        let all = try box.list("participant")
        #expect(found.count < all.count)
    }

    /// A record is named by its whole id, any unique start of it (4 characters at least, as git), or the end that lists
    /// show; several matches are said with what to do, and a reference given with --set takes a short id too.
    @Test func recordsAreNamedByAUniqueStartOrTheEndListsShow() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let a = try box.add("initiative", ["title": "Puits de Bara", "type": "well"])
        let b = try box.add("initiative", ["title": "École de Tassiga", "type": "school"])
        let shortA = String(a.suffix(8))
        let listed = try box.palabre(["list", "initiative"]).stdout
        #expect(listed.contains(shortA + "  initiative") && !listed.contains(a), "\(listed)")
        for name in [a, a.uppercased(), shortA, String(a.suffix(6))] {
            #expect(values(try box.show(name))["title"] as? String == "Puits de Bara", "\(name)")
        }
        // Created within the same second, the two ids share their start (the time): a start names both.
        let common = String(zip(a, b).prefix { $0 == $1 }.map(\.0))
        if common.count >= 4 {
            let r = try box.palabre(["show", String(common.prefix(max(4, common.count)))])
            #expect(r.status != 0 && r.stderr.contains("names several records") && r.stderr.contains(shortA), "\(r)")
        }
        let unique = String(a.prefix(common.count + 1))
        #expect(values(try box.show(unique))["title"] as? String == "Puits de Bara", "a start long enough to be unique: \(unique)")
        for bad in ["01a", "zzzz", String(a.suffix(5))] {
            let r = try box.palabre(["show", bad])
            #expect(r.status != 0 && r.stderr.contains("no record has the id '\(bad)'"), "\(bad): \(r)")
        }
        #expect(try box.palabre(["edit", shortA, "--set", "status=funded"]).status == 0)
        #expect(values(try box.show(a))["status"] as? String == "funded")
        let f = try box.palabre(["add", "followup", "--set", "initiative=\(shortA)", "--set", "date=2026-11-20", "--set", "status=funded"])
        #expect(f.status == 0, "\(f)")
        #expect(values(try box.show(f.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))["initiative"] as? String == a)
    }
}
