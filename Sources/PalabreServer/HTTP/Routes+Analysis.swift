import Foundation
import Hummingbird
import NIOCore
import PalabreCore
import PalabreStore

extension Routes {
    /// `GET /v1/export?format=csv&form=F` (or `format=jsonl|sqlite`, all forms unless `form`), `since`, `labels`,
    /// `include_deleted`, `project` (admins): the merged data set as the token's role may see it, streamed from a
    /// temporary file so memory stays flat; every export is logged.
    func export(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .readRecords)
        let project = try context.project(named: request.query("project"), for: device)
        let formatText = request.query("format") ?? "jsonl"
        guard let format = ExportOptions.Format(rawValue: formatText) else {
            throw ServiceError.badRequest("query parameter 'format': '\(formatText)' is not one of csv, jsonl, sqlite")
        }
        let form = request.query("form")
        let forms = try await backend.projectForms(project).union
        if let form, forms[form] == nil {
            throw ServiceError.notFound(
                "query parameter 'form': there is no form '\(form)' in project \(project) (forms: \(forms.names.joined(separator: ", ")))")
        }
        if format == .csv && form == nil {
            throw ServiceError.badRequest("query parameter 'form' is required with format=csv (one file per form)")
        }
        var labels: Language?
        if let text = request.query("labels") {
            guard let l = Language(rawValue: text) else { throw ServiceError.badRequest("query parameter 'labels': '\(text)' is not one of fr, en") }
            labels = l
        }
        if let since = request.query("since"), !FieldParser.isDate(since, earliestYear: 0) {
            throw ServiceError.badRequest("query parameter 'since': '\(since)' is not a date as YYYY-MM-DD")
        }
        let path = try await backend.export(
            ExportRequest(
                format: format, project: project, forms: form.map { [$0] }, since: request.query("since"), labels: labels,
                includeDeleted: try request.flag("include_deleted")),
            for: device)
        let file = format == .csv ? (path as NSString).appendingPathComponent("\(form!).csv") : path
        let folder = (path as NSString).deletingLastPathComponent
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        var response = Response(
            status: .ok,
            body: ResponseBody(contentLength: size) { writer in
                defer { try? FileManager.default.removeItem(atPath: folder) }
                guard let handle = FileHandle(forReadingAtPath: file) else { throw ServiceError.notFound("the export file vanished") }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            })
        let (type, name): (String, String) =
            switch format {
            case .csv: ("text/csv; charset=utf-8", "\(project)-\(form!).csv")
            case .jsonl: ("application/x-ndjson", "\(project).jsonl")
            case .sqlite: ("application/vnd.sqlite3", "\(project).sqlite")
            }
        response.headers[.contentType] = type
        response.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        response.headers[.cacheControl] = "no-store, no-transform"
        return response
    }

    /// `GET /v1/indicators?region=&from=&to=&as_of=`: the project's indicators as JSON.
    func indicators(_ request: Request, _ context: PalabreRequestContext) async throws -> Response {
        let device = try context.device(allowed: .readRecords)
        let project = try context.project(named: request.query("project"), for: device)
        for name in ["from", "to", "as_of"] {
            if let value = request.query(name), !FieldParser.isDate(value, earliestYear: 0) {
                throw ServiceError.badRequest("query parameter '\(name)': '\(value)' is not a date as YYYY-MM-DD")
            }
        }
        let result = try await backend.indicators(
            project: project,
            filter: .init(region: request.query("region"), from: request.query("from"), to: request.query("to")),
            today: request.query("as_of") ?? Validator.today())
        // Analysts see no count of fewer than `smallCells` people (a small group could be singled out).
        return .json(device.role.masksSensitiveFields ? result.withholdingSmallCells(below: configuration.smallCells).json : result.json)
    }
}
