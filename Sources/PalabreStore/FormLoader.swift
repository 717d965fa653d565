import Foundation
import PalabreCore
import Yams

/// Reads form definitions from a folder of `*.yaml` (or `*.yml`, `*.json`) files at run time, so a form added
/// to the folder is usable without rebuilding anything.
public enum FormLoader {
    /// Loads and checks every form in `directory`; problems are listed in the catalog, never thrown.
    ///
    /// - Throws: ``StoreError/formsFolder(_:_:)`` when the folder cannot be read at all.
    /// - Parameter only: read just these forms (a command that needs one form starts faster); cross-form checks are
    ///   then left to `palabre forms check`.
    public static func load(directory: String, only: Set<String>? = nil) throws(StoreError) -> FormCatalog {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw .formsFolder(directory, "no such folder")
        }
        let files: [String]
        do {
            files = try fm.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") || isWorkbook($0) }
                .filter { only == nil || only!.contains(($0 as NSString).deletingPathExtension) }
                .sorted()
        } catch {
            throw .formsFolder(directory, "\(error.localizedDescription)")
        }
        var forms: [Form] = []
        var problems: [FormProblem] = []
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            if isWorkbook(path) {
                let (more, found) = loadWorkbook(path)
                forms += more
                problems += found
                continue
            }
            let (form, found) = loadFile(path)
            problems += found
            if let form { forms.append(form) }
        }
        if forms.isEmpty && problems.isEmpty {
            problems.append(FormProblem(file: directory, message: "no form files (*.yaml) in this folder"))
        }
        return FormCatalog(forms: forms, problems: problems, checkReferences: only == nil)
    }

    /// The forms shipped with Palabre, built into the binary (`forms/embed.sh`): what a laptop that has never synced
    /// captures with, and what a service's new project starts with. Their `file` reads `built-in/NAME.yaml`.
    public static func builtIn(only: Set<String>? = nil) -> FormCatalog {
        var forms: [Form] = []
        var problems: [FormProblem] = []
        for (name, yaml) in ShippedForms.files where only?.contains((name as NSString).deletingPathExtension) ?? true {
            let (form, found) = load(text: yaml, file: builtInFolder + "/" + name)
            problems += found
            if let form { forms.append(form) }
        }
        return FormCatalog(forms: forms, problems: problems, checkReferences: only == nil)
    }

    /// The built-in forms' texts by form name, as `forms/` holds them.
    public static var builtInSources: [(name: String, source: String)] {
        ShippedForms.files.map { (($0.name as NSString).deletingPathExtension, $0.yaml) }
    }

    /// The names of the built-in forms.
    public static var builtInNames: Set<String> { Set(ShippedForms.files.map { ($0.name as NSString).deletingPathExtension }) }

    /// What the built-in forms' `file` starts with.
    public static let builtInFolder = "built-in"

    /// Loads one form file.
    public static func loadFile(_ path: String) -> (Form?, [FormProblem]) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return (nil, [FormProblem(file: path, message: "cannot be read as UTF-8 text")])
        }
        return load(text: text, file: path)
    }

    /// Compiles a form from its YAML (or JSON) text; `file` names it in problems and must be named after the form.
    public static func load(text: String, file path: String) -> (Form?, [FormProblem]) {
        let tree: Any?
        do {
            // The basic resolver reads every scalar as a string: Yams's default one runs several regular expressions per
            // scalar, which cost ~10 ms of every command's start, and would read choice codes like `yes` or `18_24` as
            // booleans and numbers. The form compiler reads `true`, `1`… itself.
            tree = try Yams.load(yaml: text, .basic)
        } catch {
            return (nil, [FormProblem(file: path, message: "is not valid YAML: \(error)")])
        }
        guard let tree else { return (nil, [FormProblem(file: path, message: "is empty")]) }
        var (form, problems) = FormCompiler.compile(tree, file: path)
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if let f = form, f.name != base {
            problems.append(
                FormProblem(file: path, message: "declares form '\(f.name)' but the file is named '\(base)': name the file after the form"))
            form = nil
        }
        return (form, problems)
    }
}

extension IndicatorMap {
    /// The indicators a catalog's forms declare; a form that declares none (published before forms declared their
    /// indicators) is read as the shipped form of its name declares, for a part no other form plays, with the fields
    /// it has.
    public static func declared(by catalog: FormCatalog) -> IndicatorMap {
        let own = IndicatorMap(catalog: catalog)
        let playing = Set(own.forms.values.map(\.form))
        // Part by part: a part no form declares is played as the shipped forms say, by a form of that name the
        // catalog has (declaring nothing itself), with the fields it has.
        var all = own.forms.map { (form: $0.value.form, declaration: $0.value.declaration) }
        for part in IndicatorMap.Part.allCases where own.forms[part] == nil {
            guard let (name, d) = shippedMap.forms[part], !playing.contains(name), let form = catalog[name], form.indicators == nil else {
                continue
            }
            var kept = d
            kept.fields = d.fields.filter { form.field($0.value) != nil }
            all.append((name, kept))
        }
        return IndicatorMap(all)
    }

    /// What the shipped forms declare, compiled once.
    static let shippedMap = IndicatorMap(catalog: FormLoader.builtIn())
}

extension FormLoader {
    /// Whether a path names an XLSForm workbook.
    public static func isWorkbook(_ path: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        return ext == "xlsx" || ext == "xls"
    }

    /// Compiles every form of an XLSForm workbook (the main form, and one per repeat) through their YAML text.
    public static func loadWorkbook(_ path: String) -> (forms: [Form], problems: [FormProblem]) {
        let (converted, found) = XLSForm.convert(path: path)
        var problems = found
        var forms: [Form] = []
        for c in converted {
            let (form, p) = load(text: c.yaml, file: (path as NSString).appendingPathComponent(c.name + ".yaml"))
            problems += p
            if let form { forms.append(form) }
        }
        return (forms, problems)
    }

    /// Form files as the service publishes them (name, YAML text): a YAML file as it is, a workbook converted.
    ///
    /// - Throws: ``StoreError`` when a file cannot be read; a workbook's problems are thrown too, nothing is published.
    public static func publishable(_ path: String) throws(StoreError) -> [(name: String, text: String)] {
        if isWorkbook(path) {
            let (converted, problems) = XLSForm.convert(path: path)
            if !problems.isEmpty { throw .formFile(path, problems: problems.map(\.description)) }
            return converted.map { ($0.name + ".yaml", $0.yaml) }
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .formFile(path, problems: [])
        }
        return [((path as NSString).lastPathComponent, text)]
    }
}
