import Foundation
import Hummingbird
import PalabreCore
import PalabreStore

extension Routes {
    /// `POST /v1/sync/push`: a `Wire.PushRequest`; answers a `Wire.PushResponse`, or 409 `clock_ahead`.
    func push(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .push)
        let text = try await request.text(maxBytes: configuration.maxBodyBytes)
        let batch: Wire.PushRequest
        do {
            batch = try Wire.PushRequest(text: text)
        } catch {
            throw ServiceError.badRequest("the push body is not a batch: \(error.message)")
        }
        // One batch is one write transaction: a huge one would hold the writer, and stall every other project, for seconds.
        guard batch.changes.count <= configuration.maxBatchChanges else {
            throw ServiceError.tooLarge(
                "the batch holds \(batch.changes.count) changes, more than the \(configuration.maxBatchChanges) "
                    + "a batch may hold: nothing was applied; send them in batches of at most \(configuration.maxBatchChanges)")
        }
        var response = try await backend.push(batch, from: device)
        metrics.pushed(response)
        response.log = try await backend.logEpoch()
        return .json(response.serialized)
    }

    /// `GET /v1/sync/pull?after=N&limit=M[&project=P][&node=NODE]`: a `Wire.PullResponse`.
    ///
    /// `node` is the pulling store's node id: its own changes are skipped. Analysts get sensitive values masked.
    func pull(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .pull)
        let project = try context.project(named: request.query("project"), for: device)
        let after = try request.query("after", default: 0, in: 0...Int64.max)
        // Above the page maximum is refused, as the contract says, rather than read as the maximum.
        let limit = try request.query("limit", default: Int64(configuration.defaultPullLimit), in: 1...Int64(configuration.maxPullLimit))
        guard try await backend.project(project) != nil else { throw ServiceError.notFound("there is no project '\(project)'") }
        var page = try await backend.pull(
            project: project, after: after, limit: Int(limit),
            excludingNode: request.query("node"))
        if device.role == .facilitator {
            // Need to know: names and phone numbers only of its own people and those assigned to it.
            let forms = try await backend.projectForms(project).union
            page.changeTexts = try await NeedToKnow.filter(page.changeTexts, for: device, forms: forms, backend: backend)
        }
        if device.role.masksSensitiveFields {
            // Masked as every version of the form says: a field any version marked sensitive stays masked.
            let forms = try await backend.projectForms(project).union
            page.changeTexts = try page.changeTexts.map { text in
                let change = try Change(json: JSON.parse(text))
                return Redaction.masked(change, form: forms[change.form]).serialized
            }
        }
        // Who wrote them, by device name, so a laptop's history says "bara-laptop" rather than a node id.
        page.devices = try await backend.deviceNames(project: project, nodes: page.nodes)
        page.log = try await backend.logEpoch()
        return .json(page.serialized)
    }

    /// `GET /v1/forms[?project=P]`: a `Wire.FormsResponse` with every version of the project's forms; with
    /// `If-None-Match` holding the current tag, a bodiless 304 (a laptop whose forms are current spends a few hundred
    /// bytes on it).
    func forms(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .pull)
        let project = try context.project(named: request.query("project"), for: device)
        // Versions are only ever added: their count names the set, and a current laptop is answered from it alone.
        func current(_ tag: String) -> Bool {
            request.headers[.ifNoneMatch]?.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == tag } ?? false
        }
        // Where every laptop stands, for `palabre-server devices`: each form's latest version it now holds.
        func noteHeld() async throws {
            let held = try await backend.projectForms(project).current
            let summary = held.names.map { "\($0) \(held[$0]!.version)" }.joined(separator: ", ")
            // Written when it changes, not on every sync: "since when it holds this set" (its last sync is last_seen).
            guard summary != device.formsHeld else { return }
            try await backend.recordFormsHeld(
                deviceID: device.id, held: summary, at: Date(timeIntervalSince1970: Double(backend.serverTime()) / 1000))
        }
        let count = try await backend.storedFormCount(project: project)
        if count > 0, current("\"\(count)\"") {
            try await noteHeld()
            return Response(status: .notModified, headers: [.eTag: "\"\(count)\""])
        }
        let versions = try await backend.formVersions(project: project)
        let tag = "\"\(versions.count)\""
        try await noteHeld()
        if current(tag) { return Response(status: .notModified, headers: [.eTag: tag]) }
        let body = Wire.FormsResponse(
            project: project, tag: tag, forms: versions.map { .init(name: $0.name, version: $0.version, source: $0.source) })
        var response = Response.json(body.serialized)
        response.headers[.eTag] = tag
        return response
    }
}

extension Routes {
    /// `POST /v1/forms[?project=P]` with `{"forms": [{"name": "followup.yaml", "source": "…"}]}`: publishes the files
    /// as the next versions of the project's forms, exactly as `palabre-server forms publish` does (all or none), and
    /// applies the changes held for them. Answers `{"published": [{"name", "version"}], "applied": N, "set_aside": […]}`.
    func publishForms(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .publishForms)
        let project = try context.project(named: request.query("project"), for: device)
        let json = try await jsonObject(request, what: "publish")
        guard case .array(let items)? = json["forms"], !items.isEmpty else {
            throw ServiceError.badRequest("the publish body needs 'forms': a non-empty array of {\"name\", \"source\"}")
        }
        var files: [(name: String, text: String)] = []
        for (i, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, let source = item["source"]?.stringValue else {
                throw ServiceError.badRequest("forms[\(i)]: needs 'name' (the file's name, NAME.yaml) and 'source' (its text)")
            }
            files.append((name, source))
        }
        let done = try await backend.publish(project: project, files: files, by: device.name)
        let body = JSON.object([
            ("project", .string(project)),
            (
                "published",
                .array(done.versions.map { .object([("name", .string($0.name)), ("version", .number(String($0.version)))]) })
            ),
            ("applied", .number(String(done.retried.applied))),
            ("set_aside", .array(done.retried.setAside.map { Wire.SetAsideEntry($0).json })),
        ])
        return .json(body.serialized)
    }

    /// `GET /v1/set-aside` (and `POST /v1/set-aside/retry`): a `Wire.SetAsideList` of the calling device's changes the
    /// service set aside, oldest first (after trying them again, for a retry). A laptop asks while it keeps any, to
    /// learn which were applied since (a coordinator published their version).
    func setAside(_ request: Request, _ context: PalabreRequestContext, retry: Bool) async throws -> Response {
        let device = try context.device(allowed: .push)
        // A held change whose version is published by now is applied as the laptop asks (a push that read the forms
        // just before a publish, and committed after the publish's retry, is not left waiting).
        let mine = try await backend.setAside(device: device.name)
        let released = try await backend.released(mine)
        let again = retry || released
        let applied = again ? try await backend.retrySetAside(device: device.name).applied : 0
        let rows = again ? try await backend.setAside(device: device.name) : mine
        return .json(Wire.SetAsideList(entries: rows.map(Wire.SetAsideEntry.init), applied: applied).serialized)
    }
}
