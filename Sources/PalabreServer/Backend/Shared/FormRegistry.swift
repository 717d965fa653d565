import Foundation
import NIOConcurrencyHelpers
import PalabreCore
import PalabreStore

/// What publishing forms means, on both backends: the project's forms start as the shipped set; a publish checks the
/// files as `palabre forms check` does, then each form against its latest version (``PalabreCore/FormEvolution``),
/// and stores all of them as their next versions or none.
extension SyncBackend {
    /// Every version of a project's forms, by name then version. A project that has none yet gets the forms the
    /// service was started with (`--forms DIR`, else the shipped set), recorded version by version, so later upgrades
    /// of the service or its folder change nothing under it; new versions are published over them.
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` for an unknown project.
    public func formVersions(project: String) async throws -> [PublishedForm] {
        guard try await self.project(project) != nil else { throw ServiceError.notFound("there is no project '\(project)'") }
        let stored = try await storedForms(project: project)
        if !stored.isEmpty { return stored }
        let stamp = Timestamp.text(Date(timeIntervalSince1970: Double(serverTime()) / 1000))
        let start = forms.names.isEmpty ? FormLoader.builtIn() : forms
        let seed = start.names.compactMap { name -> PublishedForm? in
            guard let form = start[name], let source = Self.source(of: form) else { return nil }
            return PublishedForm(project: project, name: name, version: form.version, source: source, published: stamp, by: "shipped")
        }
        do {
            try await storeForms(seed)
        } catch ServiceError.alreadyExists {
            // Another request seeded it meanwhile.
        }
        return try await storedForms(project: project)
    }

    /// The text a form was read from: the built-in copy, or its file.
    static func source(of form: Form) -> String? {
        if form.file.hasPrefix(FormLoader.builtInFolder + "/") {
            let name = ((form.file as NSString).lastPathComponent as NSString).deletingPathExtension
            return FormLoader.builtInSources.first { $0.name == name }?.source
        }
        // A form read from a workbook (`DIR/book.xlsx/NAME.yaml`): the YAML it converts to.
        let folder = (form.file as NSString).deletingLastPathComponent
        if FormLoader.isWorkbook(folder) {
            return XLSForm.convert(path: folder).forms.first { $0.name == form.name }?.yaml
        }
        return FileManager.default.contents(atPath: form.file).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// A project's forms: the latest version of each (what a change is checked against) and every version seen as
    /// one (``PalabreCore/Form/union(_:)``: what records of any version are read, exported and masked with). Compiled
    /// once per instance while the project gains no version (one count query per call checks that).
    public func projectForms(_ project: String) async throws -> ProjectForms {
        let count = try await storedFormCount(project: project)
        if count > 0, let cached = formCache.get(project, count: count) { return cached }
        let versions = try await formVersions(project: project)
        var byName: [String: [Form]] = [:]
        for v in versions {
            if let form = FormLoader.load(text: v.source, file: v.name + ".yaml").0 { byName[v.name, default: []].append(form) }
        }
        var current = FormCatalog(forms: byName.values.compactMap { $0.max { $0.version < $1.version } })
        current.addVersions(byName.values.flatMap { $0 })
        let union = FormCatalog(forms: byName.values.compactMap { Form.union($0) })
        let forms = ProjectForms(current: current, union: union)
        formCache.put(project, count: versions.count, forms)
        return forms
    }

    /// The latest version of each of a project's forms, compiled.
    public func currentForms(project: String) async throws -> FormCatalog { try await projectForms(project).current }

    /// The current forms of each known project a batch writes to, for checking its changes.
    func pushForms(_ request: Wire.PushRequest, from device: Device) async throws -> FormSets {
        // Only projects the device may write to: the push's project check refuses the others.
        try await formSets(for: PushPolicy.projects(of: request).filter { device.canAccess(project: $0) })
    }

    /// The current forms of each of these projects (an unknown one is left out: what checks it refuses it).
    func formSets(for codes: some Sequence<String>) async throws -> FormSets {
        var byProject: [String: FormCatalog] = [:]
        for code in codes {
            do {
                byProject[code] = try await projectForms(code).current
            } catch ServiceError.notFound {
                continue
            }
        }
        return FormSets(byProject: byProject, fallback: forms)
    }

    /// Publishes form files (name, YAML text) as the next versions of a project's forms, all or none, then tries the
    /// project's set-aside changes again (held ones apply now; each checked as a push is; one that still cannot be
    /// applied stays).
    ///
    /// A file identical to its form's latest version is left out; a form new to the project is added.
    ///
    /// - Returns: the versions stored (empty when every file was already the latest) and what the retry did.
    /// - Throws: ``ServiceError/badRequest(_:)`` listing every problem (a file with mistakes, a reference to a form the
    ///   project lacks, an incompatible change with the field and both definitions); nothing is stored then.
    public func publish(project: String, files: [(name: String, text: String)], by: String) async throws -> Publication {
        let versions = try await formVersions(project: project)
        let latest = Self.latest(versions)
        var allVersions: [String: [Form]] = [:]
        for v in versions {
            if let form = FormLoader.load(text: v.source, file: v.name + ".yaml").0 { allVersions[v.name, default: []].append(form) }
        }
        var compiled: [(form: Form, text: String)] = []
        var problems: [FormProblem] = []
        for file in files {
            let (form, found) = FormLoader.load(text: file.text, file: file.name)
            problems += found
            if let form { compiled.append((form, file.text)) }
        }
        let names = Set(compiled.map(\.form.name))
        if names.count < compiled.count { problems.append(FormProblem(file: "", message: "a form is given twice")) }
        // The project's forms as they would be: references must still resolve.
        var catalogForms = compiled.map(\.form)
        for (name, published) in latest where !names.contains(name) {
            if let form = FormLoader.load(text: published.source, file: name + ".yaml").0 { catalogForms.append(form) }
        }
        problems += FormCatalog(forms: catalogForms).problems
        var next: [PublishedForm] = []
        let stamp = Timestamp.text(Date(timeIntervalSince1970: Double(serverTime()) / 1000))
        for (form, text) in compiled {
            if let current = latest[form.name] {
                if current.source == text { continue }
                // Against every version seen as one: a field a version removed cannot come back as something else.
                if let old = allVersions[form.name].flatMap(Form.union) {
                    problems += FormEvolution.problems(from: old, to: form)
                }
            }
            next.append(PublishedForm(project: project, name: form.name, version: form.version, source: text, published: stamp, by: by))
        }
        if !problems.isEmpty {
            throw ServiceError.badRequest(
                "nothing was published: " + problems.map { $0.description }.joined(separator: "; "))
        }
        try await storeForms(next)
        // Always, even when nothing is new: a push that read the forms before a publish committed after its retry.
        let retried = try await retrySetAside(project: project)
        return Publication(versions: next, retried: retried)
    }

    /// The latest version of each form.
    static func latest(_ versions: [PublishedForm]) -> [String: PublishedForm] {
        var out: [String: PublishedForm] = [:]
        for v in versions where (out[v.name]?.version ?? Int.min) < v.version { out[v.name] = v }
        return out
    }
}

/// What a publish did: see ``SyncBackend/publish(project:files:by:)``.
public struct Publication: Sendable {
    /// The versions stored.
    public var versions: [PublishedForm]
    /// The held changes tried again: applied ones, and those still set aside.
    public var retried: ApplyOutcome
}

/// A project's forms, compiled: see ``SyncBackend/projectForms(_:)``.
public struct ProjectForms: Sendable {
    /// The latest version of each form.
    public var current: FormCatalog
    /// Every version of each form seen as one.
    public var union: FormCatalog
}

/// Each project's compiled forms, kept by one instance and keyed by how many versions the project had: a publish on
/// any instance raises the count, so the next request compiles again.
public final class FormCache: Sendable {
    private let entries = NIOLockedValueBox<[String: (count: Int, forms: ProjectForms)]>([:])

    public init() {}

    func get(_ project: String, count: Int) -> ProjectForms? {
        entries.withLockedValue { $0[project].flatMap { $0.count == count ? $0.forms : nil } }
    }

    func put(_ project: String, count: Int, _ forms: ProjectForms) {
        entries.withLockedValue { $0[project] = (count, forms) }
    }
}
