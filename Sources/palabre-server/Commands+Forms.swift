import ArgumentParser
import Foundation
import PalabreCore
import PalabreServer
import PalabreStore

extension PalabreServerCommand {
    struct Forms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forms",
            abstract: "Publish a project's forms and list their versions.",
            discussion: """
                A project starts with the shipped forms. A publish checks the files as 'palabre forms check' does, then \
                each form against its latest version: adding fields and choices and changing labels, hints and rules is \
                allowed; a field never changes type and a choice is never removed. All files are published or none.

                Example: palabre-server forms publish session.yaml participant.yaml --project vestibules-gao
                """,
            subcommands: [Publish.self, List.self, Show.self, History.self]
        )

        struct Publish: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make form files the next versions of a project's forms (all or none).",
                discussion: "Example: palabre-server forms publish forms/session.yaml --project vestibules-gao")
            @OptionGroup var scope: ProjectFormsOptions
            @Argument(help: "Form files (NAME.yaml, named after the form), or XLSForm workbooks (.xlsx).") var files: [String]

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    var read: [(name: String, text: String)] = []
                    for path in files {
                        // An XLSForm workbook is published as the YAML forms it converts to (a repeat is a form).
                        do throws(StoreError) {
                            read += try FormLoader.publishable(path)
                        } catch {
                            throw Failure(error.message(.en), code: FileManager.default.fileExists(atPath: path) ? 65 : 66)
                        }
                    }
                    let published = try await scope.backend().publish(
                        project: scope.project, files: read, by: "palabre-server")
                    if published.versions.isEmpty {
                        print("nothing to publish: every form is already its latest version")
                    }
                    for f in published.versions { print("published \(f.name) version \(f.version) in project \(scope.project)") }
                    let r = published.retried
                    if r.applied > 0 || !r.setAside.isEmpty { print(SetAsideCommand.retried(r)) }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List a project's forms: the latest version of each, when and by whom it was published.",
                discussion: "Example: palabre-server forms list --project vestibules-gao")
            @OptionGroup var scope: ProjectFormsOptions

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    let versions = try await scope.backend().formVersions(project: scope.project)
                    var latest: [String: PublishedForm] = [:]
                    var counts: [String: Int] = [:]
                    for v in versions {
                        counts[v.name, default: 0] += 1
                        if (latest[v.name]?.version ?? .min) < v.version { latest[v.name] = v }
                    }
                    let rows = latest.keys.sorted().map { name -> [String] in
                        let f = latest[name]!
                        return [name, "v\(f.version)", "\(counts[name]!)", f.published.replacingOccurrences(of: "T", with: " "), f.by]
                    }
                    print(Table.render(header: ["FORM", "LATEST", "VERSIONS", "PUBLISHED", "BY"], rows: rows))
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a form's definition as published (the latest version, or --version N).",
                discussion: "Example: palabre-server forms show session --project vestibules-gao --version 1")
            @OptionGroup var scope: ProjectFormsOptions
            @Option(help: "The version (default: the latest).") var version: Int?
            @Argument(help: "The form.") var form: String

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    let versions = try await formVersions(form, scope)
                    guard let chosen = version.map({ v in versions.first { $0.version == v } }) ?? versions.last else {
                        throw Failure(
                            "--version: form \(form) of project \(scope.project) has no version \(version!) (versions: "
                                + versions.map { String($0.version) }.joined(separator: ", ") + ")", code: 66)
                    }
                    print(chosen.source, terminator: chosen.source.hasSuffix("\n") ? "" : "\n")
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List every version of a form: when and by whom each was published.",
                discussion: "Example: palabre-server forms history session --project vestibules-gao")
            @OptionGroup var scope: ProjectFormsOptions
            @Argument(help: "The form.") var form: String

            func run() async throws {
                bootstrapLogging(level: .warning)
                try await guarded {
                    let versions = try await formVersions(form, scope)
                    let rows = versions.map { ["v\($0.version)", $0.published.replacingOccurrences(of: "T", with: " "), $0.by] }
                    print(Table.render(header: ["VERSION", "PUBLISHED", "BY"], rows: rows))
                }
            }
        }
    }
}

/// What every `forms` command names: the database, the project, and the forms a project that has none yet starts with.
struct ProjectFormsOptions: ParsableArguments {
    @OptionGroup var options: DatabaseOptions
    @Option(help: "The forms a project that has none yet starts with, as the service's --forms (default: $PALABRE_FORMS, else built in).")
    var forms: String?
    @Option(help: "The project.") var project: String

    /// The backend, with the forms a new project starts with.
    func backend() async throws -> any SyncBackend { try await options.openBackend(forms: try serviceForms(forms)) }
}

/// Every version of one form of a project, oldest first; a form the project lacks is exit code 66.
private func formVersions(_ form: String, _ scope: ProjectFormsOptions) async throws -> [PublishedForm] {
    let versions = try await scope.backend().formVersions(project: scope.project).filter { $0.name == form }
    guard !versions.isEmpty else { throw Failure("project \(scope.project) has no form '\(form)'", code: 66) }
    return versions
}
