import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

extension Palabre {
    struct List: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr("Liste les enregistrements, du plus ancien au plus récent.", "List records, oldest first."),
                discussion: tr(
                    """
                    --where champ=valeur garde les enregistrements dont le champ a cette valeur (pour un select_multiple : dont \
                    le champ la contient).
                    Avec --json, affiche un tableau JSON d'objets {"id", "form", "values", …}. Sans --json, les caractères de \
                    contrôle des valeurs (séquences d'échappement du terminal) sont affichés sous la forme \\u{1B}, \\n, … au \
                    lieu d'être envoyés au terminal.

                    Exemple : palabre list participant --where sex=female --where age_band=18_24 --json
                    """,
                    """
                    --where field=value keeps records whose field has that value (for select_multiple: includes it).
                    With --json, prints a JSON array of {"id", "form", "values", …} objects. Without it, control characters \
                    in values (terminal escape sequences) are shown as \\u{1B}, \\n, … rather than sent to the terminal.

                    Example: palabre list participant --where sex=female --where age_band=18_24 --json
                    """)
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(help: trHelp("Seulement les enregistrements de ce formulaire.", "Only records of this form.")) var form: String?
        @Option(name: .customLong("where"), help: trHelp("Une condition champ=valeur (répétable).", "A condition field=value (repeatable)."))
        var conditions: [String] = []
        @Flag(help: trHelp("Affiche en JSON.", "Print JSON.")) var json = false
        @Flag(help: trHelp("Inclut les enregistrements supprimés.", "Include deleted records.")) var deleted = false

        func run() throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store, reading: true)
                var formObj: Form?
                if let form { formObj = try catalog.form(form) }
                var filters: [(String, String)] = []
                for c in conditions {
                    guard let eq = c.firstIndex(of: "=") else { throw CLIFailure(Words(lang).whereClause(c), code: 64) }
                    let name = String(c[..<eq])
                    let value = String(c[c.index(after: eq)...])
                    if let f = formObj, f.field(name) == nil {
                        throw PalabreCore.ValidationError(form: f.name, field: name, value: value, rule: .unknownField(known: f.fields.map(\.name)))
                    }
                    filters.append((name, value))
                }
                let records = try store.records(form: form, includeDeleted: deleted).filter { r in
                    filters.allSatisfy { (name, want) in
                        guard let v = r.values[name] else { return want.isEmpty }
                        if case .list(let l) = v { return l.contains(want) }
                        return v.displayString == want
                    }
                }
                if json {
                    var out = "[\n"
                    for (i, r) in records.enumerated() {
                        out += r.json(form: catalog[r.form]).serialized
                        out += i == records.count - 1 ? "\n" : ",\n"
                    }
                    out += "]"
                    print(out)
                    return
                }
                for r in records {
                    let f = catalog[r.form]
                    let summary = (f?.fields ?? []).prefix(12).compactMap { field -> String? in
                        guard let v = r.values[field.name], field.type != .reference, !field.sensitive || true else { return nil }
                        return display(v, field, lang)
                    }.prefix(3).joined(separator: " · ")
                    printSafe(
                        "\(FieldStore.shortID(r.id))  \(r.form.padding(toLength: 11, withPad: " ", startingAt: 0)) \(r.isDeleted ? Words(lang).deletedMark + " " : "")\(summary)"
                    )
                }
                if records.isEmpty { FileHandle.standardError.write(Data((Words(lang).noRecords + "\n").utf8)) }
            }
        }
    }

    struct Show: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                abstract: tr(
                    "Affiche un enregistrement, avec au besoin l'historique de ses valeurs.",
                    "Show one record, optionally with the history of its values."),
                discussion: tr(
                    "Exemple : palabre show 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --history",
                    "Example: palabre show 0193f1c2-7a3e-7b1d-9c4e-2f6a8b0c1d2e --history")
            )
        }
        @OptionGroup var options: StoreOptions
        @Argument(
            help: trHelp(
                "L'identifiant de l'enregistrement, ou son début ou ses derniers caractères, tels que les listes les affichent.",
                "The record's id, or its start or its last characters as lists show them.")) var id: String
        @Flag(help: trHelp("Affiche aussi les valeurs remplacées et les conflits.", "Also show replaced values and conflicts.")) var history = false
        @Flag(help: trHelp("Affiche en JSON.", "Print JSON.")) var json = false

        func run() throws {
            let store = try options.openStore(.readOnly)
            let lang = options.language(store)
            try guarded(lang) {
                let catalog = try options.catalog(lang, store, reading: true)
                guard let r = try store.record(try store.resolveID(id)) else { throw StoreError.notFound(id: id) }
                let form = catalog[r.form]
                let entries = history ? try store.history(r.id) : []
                if json {
                    var obj = r.json(form: form)
                    if history, case .object(var members) = obj {
                        members.append(
                            (
                                "history",
                                .array(
                                    entries.map { e in
                                        .object([
                                            ("field", .string(e.superseded.field)), ("value", e.superseded.value?.json ?? .null),
                                            ("written", .string(isoString(e.superseded.stamp.hlc))), ("node", .string(e.superseded.stamp.node)),
                                            ("replaced_by", .string(isoString(e.superseded.winner.hlc))), ("conflict", .bool(e.superseded.conflict)),
                                        ])
                                    })
                            ))
                        obj = .object(members)
                    }
                    print(obj.serialized)
                    return
                }
                var labels = options.labels(store)
                labels.fallback = form?.defaultLanguage
                printSafe("\(form?.title.text(labels) ?? r.form) \(r.id)\(r.isDeleted ? "  " + Words(lang).deletedMark : "")")
                let values = r.values
                var width = 0
                for f in form?.fields ?? [] where values[f.name] != nil { width = max(width, f.label.text(labels).count) }
                for f in form?.fields ?? [] {
                    guard let v = values[f.name] else { continue }
                    printSafe("  " + f.label.text(labels).padding(toLength: width, withPad: " ", startingAt: 0) + "  " + display(v, f, labels))
                }
                for k in values.keys.sorted() where form?.field(k) == nil && k != erasedField && k != erasedByField {
                    printSafe("  \(k)  \(values[k]!.displayString)")
                }
                if !r.state.erased.isEmpty {
                    let names = r.state.erased.sorted().map { form?.field($0)?.label.text(labels) ?? $0 }.joined(separator: ", ")
                    let by: String = if case .string(let b)? = values[erasedByField] { b } else { "?" }
                    printSafe(Words(lang).erasure(names, at: isoString(r.state.stamps[erasedField]?.hlc ?? HLC(rawValue: 0)), by: by))
                }
                let identity = try? store.identity()
                let named = (try? store.deviceNames()) ?? [:]
                // A node is named by its device: this laptop's own name, else the name the service gave when pulling.
                func writer(_ node: String) -> String {
                    if let identity, identity.node == node { return identity.device }
                    return named[node].map { terminalSafe($0) } ?? Words(lang).otherDevice(String(node.prefix(8)))
                }
                printSafe(Words(lang).captured(at: shortTime(r.created.hlc), by: writer(r.created.node), updated: shortTime(r.state.updated.hlc)))
                if history {
                    print(Words(lang).history)
                    if entries.isEmpty { print(Words(lang).noReplacedValues) }
                    func shown(_ value: Value?, _ field: String) -> String {
                        value.map { v in form?.field(field).map { display(v, $0, labels) } ?? v.displayString } ?? "∅"
                    }
                    for e in entries {
                        let s = e.superseded
                        let label = form?.field(s.field)?.label.text(labels) ?? s.field
                        // What replaced it: the value written with the winning stamp (a later entry, or the current one).
                        let replacement: String
                        if let later = entries.first(where: { $0.superseded.field == s.field && $0.superseded.stamp == s.winner }) {
                            replacement = shown(later.superseded.value, s.field)
                        } else if r.state.stamps[s.field] == s.winner {
                            replacement = shown(values[s.field], s.field)
                        } else {
                            replacement = "?"
                        }
                        printSafe(
                            "  "
                                + Words(lang).historyLine(
                                    label, from: shown(s.value, s.field), to: replacement, by: writer(s.winner.node), at: shortTime(s.winner.hlc))
                                + (s.conflict ? "  " + Words(lang).conflictMark : ""))
                    }
                }
            }
        }
    }
}

/// A value for people: choice labels, and `value (code)` for selects.
func display(_ v: Value, _ field: Field, _ lang: Language) -> String { display(v, field, LabelLanguage(lang)) }

/// A value for people, with labels in a form language (`--lang bm`).
func display(_ v: Value, _ field: Field, _ lang: LabelLanguage) -> String {
    switch (field.type, v) {
    case (.selectOne, .string(let s)):
        return field.choice(s).map { $0.label.text(lang) } ?? s
    case (.selectMultiple, .list(let l)):
        return l.map { c in field.choice(c).map { $0.label.text(lang) } ?? c }.joined(separator: ", ")
    default:
        return v.displayString
    }
}

/// A moment as people read it, to the minute, in the laptop's time zone: `2026-11-20 14:02`.
func shortTime(_ hlc: HLC) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd HH:mm"
    return f.string(from: Date(timeIntervalSince1970: Double(hlc.wallMilliseconds) / 1000))
}

/// An ISO 8601 time, to the second.
func isoString(_ hlc: HLC) -> String {
    ISOTime.text(milliseconds: hlc.wallMilliseconds, fraction: false)
}
