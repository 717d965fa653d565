import Foundation
import PalabreCore
import Testing

@testable import PalabreStore

private let formsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("forms")

/// The forms built into the binaries are the checkout's `forms/`, as `forms/embed.sh` wrote them.
@Suite struct BuiltInFormsTests {
    @Test func theBuiltInFormsAreTheFormsFolder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: formsFolder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(ShippedForms.files.map(\.name) == files, "run forms/embed.sh after adding or removing a form")
        for (name, yaml) in ShippedForms.files {
            let text = try String(contentsOf: formsFolder.appendingPathComponent(name), encoding: .utf8)
            #expect(yaml + "\n" == text || yaml == text, "\(name) differs from forms/\(name): run forms/embed.sh")
        }
    }

    @Test func theBuiltInFormsCompileWithoutAProblemAsTheFolderDoes() throws {
        let builtIn = FormLoader.builtIn()
        let folder = try FormLoader.load(directory: formsFolder.path)
        #expect(builtIn.problems.isEmpty, "\(builtIn.problems)")
        #expect(builtIn.names == folder.names)
        for name in folder.names {
            let a = try #require(builtIn[name]), b = try #require(folder[name])
            #expect(a.version == b.version && a.fields.map(\.name) == b.fields.map(\.name), "\(name)")
            #expect(a.file == "built-in/\(name).yaml")
        }
        #expect(FormLoader.builtIn(only: ["session"]).names == ["session"])
    }
}
