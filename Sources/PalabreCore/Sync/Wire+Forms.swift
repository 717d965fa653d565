import Foundation

extension Wire {
    /// `GET /v1/forms`: every version of the project's forms, as published, and a tag that changes with every publish
    /// (the laptop sends it back as `If-None-Match`, and an unchanged set is a bodiless 304).
    public struct FormsResponse: Equatable, Sendable {
        /// One version of one form: its definition as published.
        public struct Version: Equatable, Sendable {
            public var name: String
            public var version: Int
            public var source: String

            public init(name: String, version: Int, source: String) {
                self.name = name
                self.version = version
                self.source = source
            }
        }

        public var project: String
        /// Changes with every publish.
        public var tag: String
        public var forms: [Version]

        public init(project: String, tag: String, forms: [Version]) {
            self.project = project
            self.tag = tag
            self.forms = forms
        }

        /// The JSON text.
        public var serialized: String {
            JSON.object([
                ("project", .string(project)), ("tag", .string(tag)),
                (
                    "forms",
                    .array(
                        forms.map {
                            .object([("name", .string($0.name)), ("version", .number(String($0.version))), ("source", .string($0.source))])
                        })
                ),
            ]).serialized
        }

        /// Reads one.
        public init(text: String) throws(Malformed) {
            let json = try Wire.parse(text)
            guard let project = json["project"]?.stringValue, let tag = json["tag"]?.stringValue, case .array(let items)? = json["forms"]
            else { throw Malformed("a forms answer needs 'project', 'tag' and 'forms'") }
            var forms: [Version] = []
            for (i, item) in items.enumerated() {
                guard let name = item["name"]?.stringValue, let version = item["version"]?.intValue, let source = item["source"]?.stringValue,
                    version >= 1, version <= Int64(Int32.max)
                else { throw Malformed("forms[\(i)] needs 'name', 'version' (1 or more) and 'source'") }
                forms.append(Version(name: name, version: Int(version), source: source))
            }
            self.init(project: project, tag: tag, forms: forms)
        }
    }
}
