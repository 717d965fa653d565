import ArgumentParser
import Foundation
import PalabreCore
import PalabreServer
import PalabreStore

/// `palabre-server set-aside list|retry`: the changes the service could not apply yet, kept with why.
struct SetAsideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-aside",
        abstract: "List the changes the service could not apply, and try them again.",
        discussion: """
            A change of a form version not published yet is held (HELD) and applied as soon as a coordinator publishes \
            that version; a change that breaks a rule of its form is refused (REFUSED) and kept, never dropped. Both stay \
            listed until they apply.
            """,
        subcommands: [List.self, Retry.self], defaultSubcommand: List.self)

    /// What the service's set-aside changes can be narrowed to.
    struct Scope: ParsableArguments {
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The forms a project that has none yet starts with, as the service's --forms (default: $PALABRE_FORMS, else built in).")
        var forms: String?
        @Option(help: "Only this project's changes.") var project: String?
        @Option(help: "Only the changes this device pushed (its name).") var device: String?

        func backend() async throws -> any SyncBackend { try await options.openBackend(forms: try serviceForms(forms)) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the set-aside changes, oldest first.",
            discussion: "Example: palabre-server set-aside list --project vestibules-gao")
        @OptionGroup var scope: Scope

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let rows = try await scope.backend().setAside(project: scope.project, device: scope.device)
                if rows.isEmpty {
                    printError("no change is set aside" + (scope.project.map { " in project \($0)" } ?? ""))
                    return
                }
                print(
                    Table.render(
                        header: ["SINCE", "STATE", "PROJECT", "RECORD", "FORM", "DEVICE", "REASON"],
                        rows: rows.map { r in
                            [
                                r.created.replacingOccurrences(of: "T", with: " "), r.held ? "HELD" : "REFUSED", r.change.project,
                                r.change.recordID, "\(r.change.form) v\(r.change.formVersion)", r.origin, r.reason,
                            ]
                        }))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try the set-aside changes again, each checked as a push is; those that apply leave the list.",
            discussion: "Example: palabre-server set-aside retry --project vestibules-gao")
        @OptionGroup var scope: Scope

        func run() async throws {
            bootstrapLogging(level: .warning)
            try await guarded {
                let outcome = try await scope.backend().retrySetAside(project: scope.project, device: scope.device)
                print(SetAsideCommand.retried(outcome))
            }
        }
    }

    /// One line on what a retry did.
    static func retried(_ outcome: ApplyOutcome) -> String {
        let held = outcome.setAside.filter(\.held).count
        var line = "applied \(outcome.applied) set-aside change\(outcome.applied == 1 ? "" : "s")"
        if outcome.duplicates > 0 { line += ", \(outcome.duplicates) already applied" }
        if !outcome.setAside.isEmpty {
            line +=
                "; \(outcome.setAside.count) still set aside (\(held) held for a version not published, "
                + "\(outcome.setAside.count - held) refused: palabre-server set-aside list)"
        }
        return line
    }
}
