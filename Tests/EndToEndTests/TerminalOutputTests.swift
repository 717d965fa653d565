import Foundation
import Testing

/// Values come from other laptops through the service: printed for people, a terminal escape sequence in one must show
/// as text, never reach the terminal; `--json` escapes it as JSON does.
@Suite("Terminal output")
struct TerminalOutputTests {
    static let hostile = "Séance\u{1B}[31m rouge\u{07}\u{1B}]0;pwned\u{07}\u{9B}2J\u{7F}"

    /// Whether a text holds a C0 control other than a newline, DEL or a C1 control.
    static func hasControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
    }

    @Test func listAndShowPrintControlCharactersAsVisibleEscapes() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.add(
            "session",
            [
                "title": Self.hostile, "date": "2026-09-08", "region": "gao", "locality": "Bara\tNord",
                "format": "intergenerational", "summary": "ligne 1\nligne 2",
            ])
        let list = try box.palabre("list", "session")
        #expect(list.status == 0, "\(list)")
        #expect(!Self.hasControl(list.stdout), "list printed a raw control character: \(list.stdout.debugDescription)")
        #expect(list.stdout.contains(#"Séance\u{1B}[31m rouge\u{7}\u{1B}]0;pwned\u{7}\u{9B}2J\u{7F}"#), "\(list.stdout.debugDescription)")
        #expect(list.stdout.split(separator: "\n").count == 1, "one line per record")

        #expect(try box.palabre("edit", id, "--set", "title=Séance \u{1B}[2Kbis").status == 0)
        let show = try box.palabre("show", id, "--history")
        #expect(show.status == 0, "\(show)")
        #expect(!Self.hasControl(show.stdout), "show printed a raw control character: \(show.stdout.debugDescription)")
        #expect(show.stdout.contains(#"Séance \u{1B}[2Kbis"#))
        #expect(show.stdout.contains(#"Séance\u{1B}[31m rouge\u{7}"#), "the replaced value in the history, escaped too")
        #expect(show.stdout.contains(#"Bara\tNord"#) && show.stdout.contains(#"ligne 1\nligne 2"#))
    }

    @Test func jsonOutputEscapesControlCharactersAndKeepsTheValue() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let id = try box.add(
            "session",
            [
                "title": Self.hostile, "date": "2026-09-08", "region": "gao", "locality": "Bara",
                "format": "intergenerational",
            ])
        for args in [["list", "session", "--json"], ["show", id, "--json"]] {
            let r = try box.palabre(args)
            #expect(r.status == 0, "\(r)")
            #expect(!Self.hasControl(r.stdout), "\(args): \(r.stdout.debugDescription)")
            #expect(
                r.stdout.contains(#"\u001b[31m"#) && r.stdout.contains(#"\u0007"#) && r.stdout.contains(#"\u009b"#) && r.stdout.contains(#"\u007f"#))
        }
        let values = try box.show(id)["values"] as? [String: Any]
        #expect(values?["title"] as? String == Self.hostile, "the value itself is intact")
    }
}
