import Foundation
import Testing

/// `palabre generate`: a data set of the samples' shape that imports whole, the same for the same seed.
@Suite("Generate")
struct GenerateTests {
    @Test func generatedJSONLinesOf500RecordsImportsAs500Records() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let out = box.path("gen.jsonl")
        let g = try box.palabre("generate", "--records", "500", "--out", out)
        #expect(g.status == 0, "\(g)")
        #expect(g.stdout.contains("wrote 500 records"), "\(g)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 500)

        let r = try box.palabre("import", out)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 500 record(s)"), "\(r)")
        #expect(try box.list().count == 500)
    }

    @Test func generatedCSVOf500RecordsImportsAs500Records() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let out = box.path("gen.csv")
        #expect(try box.palabre("generate", "--records", "500", "--out", out).status == 0)
        let r = try box.palabre("import", out)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("imported 500 record(s)"), "\(r)")
        #expect(try box.list().count == 500)
    }

    @Test func sameSeedGivesByteIdenticalFiles() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let a = box.path("a.jsonl"), b = box.path("b.jsonl")
        #expect(try box.palabre("generate", "--records", "500", "--seed", "42", "--out", a).status == 0)
        #expect(try box.palabre("generate", "--records", "500", "--seed", "42", "--out", b).status == 0)
        let da = try Data(contentsOf: URL(fileURLWithPath: a))
        let db = try Data(contentsOf: URL(fileURLWithPath: b))
        #expect(!da.isEmpty)
        #expect(da == db)
    }

    @Test func differentSeedGivesADifferentFile() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let a = box.path("a.jsonl"), b = box.path("b.jsonl")
        #expect(try box.palabre("generate", "--records", "500", "--seed", "42", "--out", a).status == 0)
        #expect(try box.palabre("generate", "--records", "500", "--seed", "43", "--out", b).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) != Data(contentsOf: URL(fileURLWithPath: b)))
    }

    @Test func zeroRecordsIsAUsageError() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.palabre("generate", "--records", "0", "--out", box.path("none.jsonl"))
        #expect(r.status == 64, "\(r)")
        #expect(r.stderr.contains("--records must be at least 1"), "\(r)")
    }
}
