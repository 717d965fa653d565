import Hummingbird
import PalabreCore

extension Routes {
    /// `GET /v1/conflicts[?project=P]`: `{"conflicts":[…]}`, oldest first.
    func conflicts(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .review)
        let project = try context.project(named: request.query("project"), for: device)
        let found = try await backend.conflicts(project: project)
        return .json(.object([("project", .string(project)), ("conflicts", .array(found.map(\.json)))]))
    }

    /// `POST /v1/conflicts/resolve` with `{"record","field","action":"keep"|"restore"[,"project"]}`.
    func resolve(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .review)
        let body = try await jsonObject(request, what: "resolve")
        func member(_ name: String) throws -> String {
            guard let value = body[name] else { throw ServiceError.badRequest("the resolve body needs '\(name)'") }
            guard let text = value.stringValue, !text.isEmpty else {
                throw ServiceError.badRequest("'\(name)' must be a non-empty string, not \(value.serialized)")
            }
            return text
        }
        let record = try member("record")
        let field = try member("field")
        let actionName = try member("action")
        guard let action = ResolveAction(rawValue: actionName) else {
            throw ServiceError.badRequest("'action': '\(actionName)' is not one of keep, restore")
        }
        let project = try context.project(named: body["project"]?.stringValue ?? request.query("project"), for: device)
        try await backend.resolve(project: project, record: record, field: field, action: action)
        context.logger.info("conflict resolved", metadata: ["device": "\(device.name)", "record": "\(record)", "field": "\(field)"])
        return .json(
            .object([
                ("record", .string(record)), ("field", .string(field)), ("action", .string(action.rawValue)),
                ("resolved", .bool(true)),
            ]))
    }

    /// `GET /v1/records[?form=F][&project=P]`: `{"records":[{"id","form","values"}]}`, sensitive values masked for analysts.
    func records(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .readRecords)
        let project = try context.project(named: request.query("project"), for: device)
        let form = request.query("form")
        let forms = try await backend.projectForms(project).union
        if let form, forms[form] == nil {
            let names = forms.names.joined(separator: ", ")
            throw ServiceError.notFound("query parameter 'form': there is no form '\(form)' in project \(project) (forms: \(names))")
        }
        let found = try await backend.records(project: project, form: form)
        let items: [JSON] = found.map { record in
            let definition = forms[record.form]
            var shown = record
            if device.role.masksSensitiveFields { shown.values = Redaction.masked(record.values, form: definition) }
            return shown.json(form: definition)
        }
        return .json(.object([("project", .string(project)), ("records", .array(items))]))
    }
}
