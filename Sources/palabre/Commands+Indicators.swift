import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore
import PalabreSync

extension Palabre {
    struct IndicatorsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "indicators",
            abstract: "The programme's indicators from this store: sessions, participants (share of women and youth), initiatives.",
            discussion: """
                Participants are counted once: registered participants of a session, or its headcounts when nobody was
                registered. Youth means under 25. Initiatives without a follow-up in 90 days are listed.

                Example: palabre indicators --region gao --from 2026-09-01 --to 2026-11-30
                """
        )
        @OptionGroup var options: StoreOptions
        @Option(help: "Only this region.") var region: String?
        @Option(help: "Only sessions from this day (YYYY-MM-DD).") var from: String?
        @Option(help: "Only sessions up to this day (YYYY-MM-DD).") var to: String?
        @Option(help: "The day the 90-day follow-up rule counts from (default: today).") var asOf: String?
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "The indicators of the merged data set on the service (the store's remote and token), as JSON.") var remote = false

        func run() async throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            let fr = lang == .fr
            if remote {
                let remote = try RemoteAccess.of(store, lang)
                let query = RemoteAccess.query([("region", region), ("from", from), ("to", to), ("as_of", asOf)])
                print(try await remote.run { try await $0.getText("/v1/indicators?" + query) })
                return
            }
            try guarded(lang) {
                for (name, value) in [("from", from), ("to", to), ("as-of", asOf)] {
                    if let value, !FieldParser.isDate(value) { throw CLIFailure("--\(name): '\(value)' is not a date as YYYY-MM-DD", code: 64) }
                }
                let records = try store.records().map { (form: $0.form, id: $0.id, values: $0.values) }
                let ind = Indicators(records: records, filter: .init(region: region, from: from, to: to), today: asOf ?? Validator.today())
                if json {
                    print(ind.json.serialized)
                    return
                }
                func pct(_ x: Double?) -> String { x.map { String(format: "%.0f %%", $0 * 100) } ?? "-" }
                func list(_ d: [String: Int]) -> String { d.keys.sorted().map { "\($0) \(d[$0]!)" }.joined(separator: ", ") }
                print(fr ? "Séances : \(ind.sessions)" : "Sessions: \(ind.sessions)")
                print("  " + (fr ? "par région : " : "by region: ") + list(ind.sessionsByRegion))
                print("  " + (fr ? "par mois : " : "by month: ") + list(ind.sessionsByMonth))
                print("  " + (fr ? "par format : " : "by format: ") + list(ind.sessionsByFormat))
                print((fr ? "Participants : " : "Participants: ") + "\(ind.participants) (\(ind.registered) "
                      + (fr ? "enregistrés, " : "registered, ") + "\(ind.counted) " + (fr ? "comptés)" : "counted)"))
                print("  " + (fr ? "femmes " : "women ") + "\(ind.women) (\(pct(ind.shareWomen))), " + (fr ? "jeunes " : "youth ")
                      + "\(ind.youth) (\(pct(ind.shareYouth)))")
                print("  " + (fr ? "par tranche d'âge : " : "by age band: ") + list(ind.byAgeBand))
                print("  " + (fr ? "par rôle : " : "by role: ") + list(ind.byRole))
                print((fr ? "Initiatives : " : "Initiatives: ") + "\(ind.initiatives.count), " + (fr ? "bénéficiaires " : "beneficiaries ")
                      + "\(ind.beneficiaries), " + (fr ? "coût estimé " : "estimated cost ") + "\(Value.format(ind.estimatedCost)) FCFA")
                print("  " + (fr ? "par type : " : "by type: ") + list(ind.initiativesByType))
                print("  " + (fr ? "par statut : " : "by status: ") + list(ind.initiativesByStatus))
                print("  " + (fr ? "sans suivi depuis 90 jours : " : "without a follow-up in 90 days: ") + "\(ind.withoutRecentFollowup.count)")
            }
        }
    }
}
