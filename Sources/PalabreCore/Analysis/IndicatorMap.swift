/// Which form and fields feed each indicator, as the forms declare it (`indicators:` in a form file), so a programme
/// whose forms differ from the shipped ones (other names, other fields, other codes) still gets its indicators.
///
/// ```yaml
/// indicators:
///   part: participants      # this form's records are the participants
///   session: session        # the reference to their session
///   sex: sex
///   women: [female]         # codes of `sex` counted as women
///   men: [male]
///   age_band: age_band
///   youth: [under_18, 18_24]
///   role: role
/// ```
///
/// Every key but `part` is optional: an indicator whose field is not declared is not counted (zero, empty).
public struct IndicatorMap: Sendable, Equatable {
    /// What a form's records are to the indicators.
    public enum Part: String, Sendable, CaseIterable {
        case sessions, participants, initiatives, followups
    }

    /// One form's declaration.
    public struct Declaration: Hashable, Sendable {
        /// What its records are.
        public var part: Part
        /// Indicator key (`region`) to the form's field name.
        public var fields: [String: String]
        /// Choice-set key (`women`) to the codes it counts.
        public var codes: [String: [String]]

        /// Builds one.
        public init(part: Part, fields: [String: String], codes: [String: [String]] = [:]) {
            self.part = part
            self.fields = fields
            self.codes = codes
        }
    }

    /// The field keys each part takes, with the types a field may have.
    public static let fieldKeys: [Part: [String: Set<FieldType>]] = [
        .sessions: [
            "region": [.selectOne, .text], "date": [.date], "format": [.selectOne, .text], "women_count": [.integer],
            "men_count": [.integer], "youth_count": [.integer],
        ],
        .participants: ["session": [.reference], "sex": [.selectOne], "age_band": [.selectOne], "role": [.selectOne, .text]],
        .initiatives: [
            "session": [.reference], "region": [.selectOne, .text], "title": [.text], "type": [.selectOne, .text],
            "status": [.selectOne], "beneficiaries": [.integer], "estimated_cost": [.decimal, .integer],
        ],
        .followups: ["initiative": [.reference], "date": [.date], "status": [.selectOne, .text], "progress": [.integer]],
    ]

    /// The code-set keys each part takes, with the field key whose choices they name.
    public static let codeKeys: [Part: [String: String]] = [
        .participants: ["women": "sex", "men": "sex", "youth": "age_band"],
        .initiatives: ["closed": "status"],
    ]

    /// The form playing each part, with its declaration.
    public private(set) var forms: [Part: (form: String, declaration: Declaration)] = [:]

    /// The map the forms of a catalog declare (the first form by name, when two declare the same part: the catalog
    /// reports it as a problem).
    public init(catalog: FormCatalog) {
        for name in catalog.names.reversed() {
            if let d = catalog[name]?.indicators { forms[d.part] = (name, d) }
        }
    }

    /// A map from declarations given directly (tests, tools).
    public init(_ declarations: [(form: String, declaration: Declaration)]) {
        for d in declarations { forms[d.declaration.part] = (d.form, d.declaration) }
    }

    /// The form playing a part.
    public func form(_ part: Part) -> String? { forms[part]?.form }

    /// The field feeding an indicator key of a part.
    public func field(_ part: Part, _ key: String) -> String? { forms[part]?.declaration.fields[key] }

    /// The codes a code-set key counts.
    public func codes(_ part: Part, _ key: String) -> Set<String> { Set(forms[part]?.declaration.codes[key] ?? []) }

    public static func == (a: IndicatorMap, b: IndicatorMap) -> Bool {
        Part.allCases.allSatisfy { a.forms[$0]?.form == b.forms[$0]?.form && a.forms[$0]?.declaration == b.forms[$0]?.declaration }
    }

    /// Reads an `indicators:` mapping of a form file; problems name the key, the value and the rule.
    static func declaration(_ raw: Any, fields: [Field], problem: (String) -> Void) -> Declaration? {
        guard let map = raw as? [String: Any] else {
            problem("'indicators' must be a mapping with 'part' and indicator keys")
            return nil
        }
        let partName = FormCompiler.scalar(map["part"]) ?? ""
        guard let part = Part(rawValue: partName) else {
            problem("indicators: 'part' must be one of \(Part.allCases.map(\.rawValue).joined(separator: ", ")), not '\(partName)'")
            return nil
        }
        let fieldKeys = fieldKeys[part] ?? [:]
        let codeKeys = codeKeys[part] ?? [:]
        var declaration = Declaration(part: part, fields: [:])
        for key in map.keys.sorted() where key != "part" {
            if let types = fieldKeys[key] {
                let name = FormCompiler.scalar(map[key]) ?? ""
                guard let field = fields.first(where: { $0.name == name }) else {
                    problem("indicators: '\(key)' names '\(name)', which is not a field of this form")
                    continue
                }
                if !types.contains(field.type) {
                    let allowed = types.map(\.rawValue).sorted().joined(separator: " or ")
                    problem("indicators: '\(key)' needs a field of type \(allowed); '\(name)' is \(field.type.rawValue)")
                    continue
                }
                declaration.fields[key] = name
            } else if codeKeys[key] != nil {
                let codes = (map[key] as? [Any])?.compactMap(FormCompiler.scalar) ?? FormCompiler.scalar(map[key]).map { [$0] } ?? []
                declaration.codes[key] = codes
            } else {
                let known = (Array(fieldKeys.keys) + Array(codeKeys.keys)).sorted().joined(separator: ", ")
                problem("indicators: unknown key '\(key)' for part \(part.rawValue) (known: part, \(known))")
            }
        }
        // Codes must be choices of the field they count.
        for (key, of) in codeKeys {
            guard let codes = declaration.codes[key] else { continue }
            guard let name = declaration.fields[of], let field = fields.first(where: { $0.name == name }) else {
                problem("indicators: '\(key)' counts codes of '\(of)', which is not declared")
                continue
            }
            for code in codes where field.choice(code) == nil {
                problem("indicators: '\(key)' counts '\(code)', which is not a choice of '\(name)'")
            }
        }
        return declaration
    }
}
