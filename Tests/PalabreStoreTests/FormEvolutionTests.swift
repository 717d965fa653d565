import Foundation
import PalabreCore
import PalabreStore
import Testing

/// Which changes of a form keep every record readable (FormEvolution), on the shipped follow-up form.
@Suite struct FormEvolutionTests {
    static let v1 = FormLoader.builtInSources.first { $0.name == "followup" }!.source

    /// The follow-up form with edits applied to its text.
    static func edited(_ edits: [(String, String)]) throws -> Form {
        var text = v1
        for (a, b) in edits {
            try #require(text.contains(a), "the shipped form no longer holds \(a)")
            text = text.replacingOccurrences(of: a, with: b)
        }
        let (form, problems) = FormLoader.load(text: text, file: "followup.yaml")
        #expect(problems.isEmpty, "\(problems)")
        return try #require(form)
    }

    static var current: Form { FormLoader.load(text: v1, file: "followup.yaml").0! }

    @Test func addingAFieldAChoiceAndChangingLabelsAndRulesIsCompatible() throws {
        let next = try Self.edited([
            ("version: 1", "version: 2"),
            (#"label: {fr: "Observations", en: "Notes"}"#, #"label: {fr: "Remarques", en: "Remarks"}"#),
            (#"constraint: ". >= 0 and . <= 100""#, #"constraint: ". >= 0 and . <= 100""# + "\n    required: true"),
            ("  - name: notes\n", "  - name: visitor\n    type: text\n    label: {fr: \"Visiteur\", en: \"Visitor\"}\n  - name: notes\n"),
            (
                #"    - {name: "abandoned", label: {fr: "Abandonnée", en: "Abandoned"}}"#,
                #"    - {name: "abandoned", label: {fr: "Abandonnée", en: "Abandoned"}}"# + "\n"
                    + #"    - {name: "paused", label: {fr: "En pause", en: "Paused"}}"#
            ),
        ])
        #expect(FormEvolution.problems(from: Self.current, to: next).isEmpty)
    }

    @Test func removingAFieldIsCompatibleItsDataStays() throws {
        let next = try Self.edited([
            ("version: 1", "version: 2"),
            ("  - name: notes\n    type: text\n", "  - name: notes_removed_marker_never_used\n    type: text\n"),
        ])
        // `notes` is gone (a field of another name took its place): allowed.
        #expect(FormEvolution.problems(from: Self.current, to: next).isEmpty)
    }

    @Test func aFieldThatChangesTypeIsRefusedNamingBothDefinitions() throws {
        let next = try Self.edited([("version: 1", "version: 2"), ("  - name: notes\n    type: text", "  - name: notes\n    type: integer")])
        let problems = FormEvolution.problems(from: Self.current, to: next)
        #expect(problems.count == 1 && problems[0].field == "notes", "\(problems)")
        #expect(problems[0].message.contains("version 1 text") && problems[0].message.contains("version 2 integer"), "\(problems)")
    }

    @Test func aRemovedChoiceIsRefusedByName() throws {
        let next = try Self.edited([
            ("version: 1", "version: 2"), ("    - {name: \"abandoned\", label: {fr: \"Abandonnée\", en: \"Abandoned\"}}\n", ""),
        ])
        let problems = FormEvolution.problems(from: Self.current, to: next)
        #expect(problems.count == 1 && problems[0].field == "status" && problems[0].message.contains("'abandoned'"), "\(problems)")
    }

    @Test func aVersionThatDoesNotGoUpIsRefused() throws {
        let same = try Self.edited([(#"label: {fr: "Observations", en: "Notes"}"#, #"label: {fr: "Remarques", en: "Remarks"}"#)])
        let problems = FormEvolution.problems(from: Self.current, to: same)
        #expect(problems.count == 1 && problems[0].field == nil && problems[0].message.contains("the next version is 2"), "\(problems)")
    }
}
