import Foundation
import PalabreCore
import Testing

/// `palabre add FORM` without --set, in a real pseudo-terminal, driven by a small Python script.
@Suite("Interactive capture")
struct InteractiveCaptureTests {
    /// Drives a command in a pty: for each step, waits until the output since the last answer contains every
    /// `expect` text and ends with a prompt ("> ", "[Y/n] ", "[O/n] ", "[Y/q/n] ", "[O/r/n] "), then types `send`. After the last step it
    /// waits for the process to end. Gives up after `timeout` seconds (killing the child) so a test cannot hang.
    static let driver = #"""
        import json, os, pty, select, signal, sys, time

        spec = json.load(open(sys.argv[1]))
        deadline = time.monotonic() + spec["timeout"]
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(spec["argv"][0], spec["argv"], spec["env"])

        out = b""
        since = b""
        eof = False

        def pump(wait):
            global out, since, eof
            r, _, _ = select.select([fd], [], [], wait)
            if not r:
                return
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                eof = True
            out += data
            since += data

        prompts = (b"> ", b"[Y/n] ", b"[O/n] ", b"[Y/q/n] ", b"[O/r/n] ")
        steps_done = 0
        stuck = None
        for step in spec["steps"]:
            want = [e.encode() for e in step["expect"]]
            while True:
                if since.endswith(prompts) and all(w in since for w in want):
                    break
                if eof or time.monotonic() > deadline:
                    stuck = {"step": steps_done, "expect": step["expect"], "seen": since.decode("utf-8", "replace")}
                    break
                pump(0.1)
            if stuck:
                break
            since = b""
            os.write(fd, step["send"].encode())
            steps_done += 1

        status = None
        while time.monotonic() < deadline:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                break
            if not eof:
                pump(0.1)
            else:
                time.sleep(0.05)
        timed_out = status is None
        if timed_out:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        while not eof:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                break
            pump(0)

        print(json.dumps({
            "steps_done": steps_done,
            "stuck": stuck,
            "timed_out": timed_out,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "transcript": out.decode("utf-8", "replace"),
        }))
        """#

    struct Step {
        var expect: [String]
        var send: String
        init(_ expect: String..., send: String) {
            self.expect = expect
            self.send = send
        }
    }

    struct Outcome: CustomStringConvertible {
        var stepsDone: Int
        var stuck: String?
        var timedOut: Bool
        var exit: Int?
        var signal: Int?
        var transcript: String
        var description: String {
            "steps done: \(stepsDone), stuck: \(stuck ?? "no"), timed out: \(timedOut), exit: \(exit.map(String.init) ?? "-"), "
                + "signal: \(signal.map(String.init) ?? "-")\n--- transcript:\n\(transcript)"
        }
    }

    /// Runs `palabre ARGS --store … --forms … --lang LANG` in a pty through the steps.
    func drive(
        _ box: Sandbox, _ args: [String], lang: String = "en", forms: String = E2E.formsDir, term: String = "dumb", steps: [Step]
    ) throws -> Outcome {
        let script = try box.write("drive.py", Self.driver)
        let argv = [box.binary] + args + ["--store", box.store, "--forms", forms, "--lang", lang]
        var env = E2E.environment(home: box.dir)
        env["TERM"] = term
        let spec: [String: Any] = [
            "argv": argv, "env": env, "timeout": 20,
            "steps": steps.map { ["expect": $0.expect, "send": $0.send] as [String: Any] },
        ]
        let specPath = box.path("spec.json")
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let r = try E2E.run(try E2E.tool("python3"), [script, specPath], in: box.dir, timeout: 30)
        guard r.status == 0, !r.timedOut else { throw HarnessError("the pty driver failed: \(r)") }
        let o = try Sandbox.jsonObject(r.stdout)
        let stuck = (o["stuck"] as? [String: Any]).map { s in
            "at step \(s["step"] ?? "?") waiting for \(s["expect"] ?? "?"); saw:\n\(s["seen"] ?? "")"
        }
        return Outcome(
            stepsDone: o["steps_done"] as? Int ?? -1, stuck: stuck, timedOut: o["timed_out"] as? Bool ?? true,
            exit: o["exit"] as? Int, signal: o["signal"] as? Int, transcript: o["transcript"] as? String ?? "")
    }

    @Test func sessionIsCapturedQuestionByQuestionRefusingBadAnswersAndAskingAgain() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let steps = [
            Step("Dialogue session", "[1/21] Session title *", send: "\n"),  // empty required field
            Step("this field is required", "[1/21] Session title *", send: "Vestibule de la paix à Bara\n"),
            Step("[2/21] Session date *", "(YYYY-MM-DD or DD/MM/YYYY)", send: "2026-02-30\n"),  // no such day
            Step("'2026-02-30' does not exist: February 2026 has 28 days (no 30)", "[2/21] Session date *", send: "2026-09-08\n"),
            Step("[3/21] Region *", "7. Gao  (gao)", send: "atlantis\n"),  // region code that does not exist
            Step("session.region: 'atlantis' is not one of", "[3/21] Region *", send: "7\n"),  // picked by number
            // Cascading selects: the cercles of Gao only, then the communes of the cercle chosen.
            Step("[4/21] Cercle (district)", "1. Ansongo  (ansongo)", "3. Gao  (gao)", send: "goundam\n"),  // Tombouctou's
            Step("session.cercle_code: 'goundam' is not one of ansongo, bourem, gao", send: "ansongo\n"),
            Step("[6/21] Commune", "2. Bara  (ansongo_bara)", send: "2\n"),  // 5 (cercle as text) does not apply
            Step("[8/21] Locality", send: "Bara\n"),  // nor 7 (commune as text)
            Step("[9/21] Session format *", send: "intergenerational\n"),  // picked by code
            Step("[10/21] Topics discussed", "(numbers, codes or labels separated by spaces or commas)", send: "2 3\n"),
            Step("[12/21] Facilitators", send: "\n"),  // 11 (themes_other) does not apply
            Step("[13/21] Main language of the session", send: "\n"),
            Step("[15/21] Number of women present", send: "-4\n"),  // breaks ". >= 0 and . <= 10000"
            Step("The number must be between 0 and 10,000.", "[15/21] Number of women present", send: "14\n"),
            Step("[16/21] Number of men present", send: "\n"),
            Step("[17/21]", send: "\n"),
            Step("[18/21]", send: "\n"),
            Step("[19/21]", send: "\n"),
            Step("[20/21]", send: "\n"),
            Step("[21/21] GPS location", send: "\n"),
            Step("Your answers:", "1. Session title : Vestibule de la paix à Bara", "10. Topics discussed : ", "Save? [Y/n]", send: "y\n"),
            Step("Add: Participant? (q: several anonymous, in quick lines) [Y/q/n]", send: "n\n"),
            Step("Add: Community initiative?", send: "n\n"),
        ]
        let o = try drive(box, ["add", "session"], steps: steps)
        #expect(o.stuck == nil, "\(o)")
        #expect(o.stepsDone == steps.count, "\(o)")
        #expect(!o.timedOut, "\(o)")
        #expect(o.exit == 0, "\(o)")
        for skipped in ["[5/21]", "[7/21]", "[11/21]", "[14/21]"] {
            #expect(!o.transcript.contains(skipped), "a field that does not apply is not asked: \(o)")
        }
        #expect(!o.transcript.contains("Goundam"), "the cercles of another region are not offered: \(o)")

        let afterSave = try #require(o.transcript.components(separatedBy: "Save? [Y/n]").last)
        let printed = afterSave.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let id = try #require(printed.first(where: E2E.isRecordID), "no id printed after saving: \(o)")

        let record = try box.show(id)
        let v = values(record)
        #expect(record["form"] as? String == "session")
        #expect(v["title"] as? String == "Vestibule de la paix à Bara")
        #expect(v["date"] as? String == "2026-09-08")
        #expect(v["region"] as? String == "gao")
        #expect(v["cercle_code"] as? String == "ansongo" && v["commune_code"] as? String == "ansongo_bara")
        #expect(v["locality"] as? String == "Bara")
        #expect(v["format"] as? String == "intergenerational")
        #expect(v["themes"] as? [String] == ["water", "pasture"])
        #expect(v["women_count"] as? Int == 14)
        #expect(v["cercle"] == nil && v["commune"] == nil, "a field that does not apply has no value")
        #expect(v["men_count"] == nil)
        #expect(try box.list().count == 1)
    }

    /// The sample XLSForm with every feature Palabre reads, captured interactively with its labels in Bambara (`--lang
    /// bm`; what has no Bambara falls back to the form's default language, French; Palabre's own words stay English):
    /// notes, an acknowledgement with its required message, a cascading select, times, rules with their messages, a
    /// read-only value, calculations and metadata filled in, then the repeat captured as many times as its count says.
    @Test func anXLSFormIsCapturedWithItsLabelsInBambaraAndItsRepeatAfterIt() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let forms = box.path("forms")
        try FileManager.default.createDirectory(atPath: forms, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: E2E.formsDir) where f.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: E2E.formsDir + "/" + f, toPath: forms + "/" + f)
        }
        try FileManager.default.copyItem(
            atPath: E2E.repoRoot.path + "/samples/xlsform/enquete_menage.xlsx", toPath: forms + "/enquete_menage.xlsx")
        _ = try box.palabre(["init", "--device", "bara-laptop"], forms: forms)
        let steps = [
            Step("[1/18] I ni ce: nin ɲininkali", "[2/18] N ye sɔnni kalan *", "(OK)", send: "\n"),
            Step("Lisez le consentement avant de commencer", send: "ok\n"),  // required_message, French: no Bambara one
            Step("[3/18] Mara *", "2. Tumutu  (tombouctou)", send: "1\n"),
            Step("[4/18] Serikili", "3. Burɛmu  (bourem)", send: "goundam\n"),  // a cercle of Tombouctou
            Step("enquete_menage.cercle: 'goundam' is not one of gao, ansongo, bourem", send: "3\n"),
            Step("[5/18] Dugu *", "Tel que les habitants le nomment", send: "Bara\n"),
            Step("[6/18] Kuma don", send: "2099-01-01\n"),
            Step("La date ne peut pas être dans le futur", send: "2026-11-30\n"),
            Step("[7/18] Sera waati", "(HH:MM)", send: "25:00\n"),
            Step("'25:00' is not a time as HH:MM", send: "9h30\n"),
            Step("[8/18] Bɔli nata", "(YYYY-MM-DD HH:MM)", send: "\n"),
            Step("[9/18] Mɔgɔ hakɛ *", send: "4\n"),
            Step("[10/18] Mɔgɔ joli bɛ sɛbɛn?", "[0]", send: "5\n"),
            Step("Pas plus que la taille du ménage", send: "1\n"),
            Step("[11/18] Kuma minnu fɔra", "4. Autre  (other)", send: "1 other\n"),
            Step("[12/18]", send: "Pâturages\n"),
            Step("[13/18] Dusudiya", send: "9\n"),  // a range of 1 to 5
            Step("breaks the rule", send: "4\n"),
            Step(
                "[14/18] Porogaramu : Vestibules de la paix", "[15/18] Bara somɔgɔw: 4.", "[16/18] Kɛlɛ dɔ kɛra wa? *", send: "\n"),
            Step("[18/18] Yɔrɔ jira", send: "16.27 -0.04\n"),  // 17 does not apply: no incident
            Step("Save? [Y/n]", send: "y\n"),
            Step("Somɔgɔ 1/1", "[1/3] Tɔgɔ *", send: "Awa\n"),
            Step("[2/3] Cɛ walima muso *", "1. Muso  (female)", send: "1\n"),
            Step("[3/3] Si", send: "34\n"),
            Step("Save? [Y/n]", send: "y\n"),
        ]
        let o = try drive(box, ["add", "enquete_menage"], lang: "bm", forms: forms, steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count && o.exit == 0, "\(o)")
        let household = try #require(try box.palabre(["list", "enquete_menage", "--json"], forms: forms).stdout.data(using: .utf8))
        let records = try #require(try JSONSerialization.jsonObject(with: household) as? [[String: Any]])
        let v = try #require(records.first?["values"] as? [String: Any], "\(records)")
        #expect(v["consent_read"] as? String == "OK" && v["cercle"] as? String == "bourem" && v["arrival"] as? String == "09:30")
        #expect(v["device"] as? String == "bara-laptop" && v["day"] as? String == Validator.today())
        #expect((v["started"] as? String).flatMap(DateTimeText.dateTime) != nil && (v["ended"] as? String ?? "") >= (v["started"] as? String ?? "~"))
        #expect(v["theme_count"] as? String == "2" && v["first_theme"] as? String == "water" && v["region_name"] as? String == "Gao")
        #expect(v["summary"] as? String == "Bara (Gao): 2 thème(s)" && v["large"] as? String == "non", "\(v)")
        #expect(v["programme"] as? String == "Vestibules de la paix" && v["welcome"] == nil, "a note holds no value: \(v)")
        let members = try #require(
            try JSONSerialization.jsonObject(with: Data(try box.palabre(["list", "member", "--json"], forms: forms).stdout.utf8))
                as? [[String: Any]])
        let m = try #require(members.first?["values"] as? [String: Any], "\(members)")
        #expect(members.count == 1 && m["enquete_menage"] as? String == records.first?["id"] as? String)
        #expect(m["member_name"] as? String == "Awa" && m["age_group"] as? String == "adulte", "\(m)")
    }

    @Test func followupPicksItsInitiativeByNumberFromTheRecentRecords() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let initiative = try box.add("initiative", ["title": "Puits pastoral de Bara", "type": "well"])
        let steps = [
            Step("[1/5] Initiative *", "1. Puits pastoral de Bara  (\(initiative))", send: "1\n"),
            Step("[2/5] Follow-up date *", send: "2026-11-20\n"),
            Step("[3/5] Status observed *", "5. In progress  (in_progress)", send: "5\n"),
            Step("[4/5] Progress (%)", send: "150\n"),
            Step("Progress must be between 0 and 100.", "[4/5] Progress (%)", send: "40\n"),
            Step("[5/5] Notes", send: "\n"),
            Step("Save? [Y/n]", send: "\n"),  // Enter accepts
        ]
        let o = try drive(box, ["add", "followup"], steps: steps)
        #expect(o.stuck == nil && o.exit == 0, "\(o)")
        let followups = try box.list("followup")
        #expect(followups.count == 1, "\(o)")
        let v = values(try #require(followups.first))
        #expect(v["initiative"] as? String == initiative)
        #expect(v["date"] as? String == "2026-11-20")
        #expect(v["status"] as? String == "in_progress")
        #expect(v["progress"] as? Int == 40)
        #expect(v["notes"] == nil)
    }

    @Test func ctrlCInTheMiddleEndsTheProcessAndSavesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        try box.importDemo()
        let before = try box.dump()
        let steps = [
            Step("[1/5] Initiative *", send: "1\n"),
            Step("[2/5] Follow-up date *", send: "2026-11-25\n"),
            Step("[3/5] Status observed *", send: "\u{03}"),  // Ctrl-C
        ]
        let o = try drive(box, ["add", "followup"], steps: steps)
        #expect(o.stuck == nil, "\(o)")
        #expect(o.stepsDone == steps.count, "\(o)")
        #expect(!o.timedOut, "the process must end on Ctrl-C: \(o)")
        #expect(o.signal == Int(SIGINT) || (o.exit != nil && o.exit != 0), "\(o)")
        #expect(!o.transcript.contains("[4/5]"), "no further question after Ctrl-C: \(o)")
        #expect(try box.dump() == before, "nothing was written")
        #expect(try box.list("followup").count == 30)
    }

    @Test func endOfInputInTheMiddleSavesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        _ = try box.add("initiative", ["title": "Puits pastoral de Bara", "type": "well"])
        let before = try box.dump()
        let steps = [
            Step("[1/5] Initiative *", send: "1\n"),
            Step("[2/5] Follow-up date *", send: "\u{04}"),  // Ctrl-D
        ]
        let o = try drive(box, ["add", "followup"], steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count, "\(o)")
        #expect(!o.timedOut, "\(o)")
        #expect(o.exit == 1, "\(o)")
        #expect(o.transcript.contains("nothing was saved"), "\(o)")
        #expect(try box.dump() == before)
    }

    @Test func answeringNoToSaveSavesNothingInFrench() throws {
        let box = try Sandbox()
        defer { box.remove() }
        _ = try box.addSession()
        let before = try box.dump()
        let steps = [
            Step("Participant(e)", "[1/9] Séance *", send: "1\n"),
            Step("[2/9] Consentement à être nommé(e) *", "2. Non  (no)", send: "2\n"),
            // name and phone do not apply when consent is no
            Step("[5/9] Sexe *", send: "\n"),
            Step("ce champ est obligatoire", "[5/9] Sexe *", send: "chamelle\n"),
            Step("participant.sex: 'chamelle' n'est pas l'un de female, male", send: "FEMME\n"),  // a label, any case
            Step("[6/9] Tranche d'âge *", send: "2\n"),
            Step("[7/9] Qualité ou rôle dans la communauté *", send: "1\n"),
            Step("[9/9] Communauté", send: "\n"),
            Step("Vos réponses :", "5. Sexe : Femme", "Enregistrer ? [O/n]", send: "95 200\n"),  // not a yes
            Step("répondez oui, non, ou le numéro d'une réponse à changer", "Enregistrer ? [O/n]", send: "n\n"),
        ]
        let o = try drive(box, ["add", "participant"], lang: "fr", steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count, "\(o)")
        #expect(!o.transcript.contains("[3/9]") && !o.transcript.contains("[4/9]"), "\(o)")
        #expect(o.exit == 1, "\(o)")
        #expect(o.transcript.contains("rien n'a été enregistré"), "\(o)")
        #expect(try box.dump() == before)
    }

    /// A whole session in one sitting, in French: answers by label in any case, a date as 02/11/2026, an impossible date
    /// and a rule's message (not its expression), back one question with `<`, the review and a change from it; then
    /// its participants with the session already set, one asked in full and thirteen in two quick lines.
    @Test func aSessionAndItsParticipantsAreCapturedInOneSittingInFrench() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let steps = [
            Step("[1/21] Titre de la séance *", send: "Vestibule de la paix à Bara\n"),
            Step("[2/21] Date de la séance *", "(JJ/MM/AAAA ou AAAA-MM-JJ)", send: "31/11/2026\n"),
            Step("n'existe pas : novembre 2026 n'a que 30 jours (pas de 31)", send: "01/01/1999\n"),
            Step("La date doit être postérieure au 1er janvier 2000.", send: "02/11/2026\n"),
            Step("[3/21] Région *", "(numéro, code ou libellé)", send: "GAO\n"),
            Step("[4/21] Cercle", send: "<\n"),
            Step("[3/21] Région *", "[Gao] > ", send: "\n"),  // Enter keeps it
            Step("[4/21] Cercle", send: "Ansongo\n"),
            Step("[6/21] Commune", send: "bara\n"),
            Step("[8/21] Localité", send: "Bara\n"),
            Step("[9/21] Format de la séance *", send: "vestibule\n"),  // the start of a label
            Step("[10/21] Thèmes abordés", send: "foncier, pâturages\n"),
            Step("[12/21] Facilitateurs", send: "\n"),
            Step("[13/21] Langue principale", send: "songhai\n"),  // Songhaï, without its accent
            Step("[15/21] Nombre de femmes", send: "-4\n"),
            Step("Le nombre doit être compris entre 0 et 10 000.", send: "14\n"),
            Step("[16/21] Nombre d'hommes", send: "9\n"),
            Step("[17/21]", send: "\n"), Step("[18/21]", send: "\n"), Step("[19/21]", send: "\n"), Step("[20/21]", send: "\n"),
            Step("[21/21]", send: "\n"),
            Step(
                "Vos réponses :", "3. Région : Gao", "10. Thèmes abordés : Foncier, Pâturages et couloirs de transhumance",
                "13. Langue principale de la séance : Songhaï", "Enregistrer ? [O/n]", send: "16\n"),
            Step("[16/21] Nombre d'hommes présents", "[9] > ", send: "11\n"),
            Step("16. Nombre d'hommes présents : 11", "Enregistrer ? [O/n]", send: "oui\n"),
            Step("Ajouter : Participant(e) ? (r : plusieurs anonymes en lignes rapides) [O/r/n]", send: "o\n"),
            Step("[1/8] Consentement à être nommé(e) *", send: "oui\n"),
            Step("[2/8] Prénom et nom *", send: "Aminata Maïga\n"),
            Step("[3/8] Téléphone", send: "\n"),
            Step("[4/8] Sexe *", send: "femme\n"),
            Step("[5/8] Tranche d'âge *", send: "18_24\n"),
            Step("[6/8] Qualité ou rôle", send: "jeune\n"),
            Step("[8/8] Communauté", send: "\n"),
            Step("Vos réponses :", "2. Prénom et nom : Aminata Maïga", "Enregistrer ? [O/n]", send: "\n"),
            Step("Un(e) autre (Participant(e)) ?", "[O/r/n]", send: "r\n"),
            Step("Lignes rapides", "[0 enregistré(s)] > ", send: "F 18_24 jeune\n"),
            Step("✓ Femme, 18 à 24 ans, Jeune", "[1 enregistré(s)] > ", send: "12x H 25_35 notable\n"),
            Step("✓ 12 × Homme, 25 à 35 ans, Notable, sage", "[13 enregistré(s)] > ", send: "F chameau\n"),
            Step("'chameau'", "[13 enregistré(s)] > ", send: "\n"),
            Step("Un(e) autre (Participant(e)) ?", send: "n\n"),
            Step("Ajouter : Initiative communautaire ?", send: "n\n"),
        ]
        let o = try drive(box, ["add", "session"], lang: "fr", steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count && o.exit == 0, "\(o)")
        #expect(!o.transcript.contains("2000-01-01"), "the rule's message, not its expression: \(o)")
        #expect(o.transcript.contains("Saisi dans la foulée : 14 × Participant(e)"), "\(o)")
        let session = try #require(try box.list("session").first)
        let sv = values(session)
        #expect(sv["region"] as? String == "gao" && sv["cercle_code"] as? String == "ansongo" && sv["commune_code"] as? String == "ansongo_bara")
        #expect(sv["date"] as? String == "2026-11-02" && sv["format"] as? String == "intergenerational")
        #expect(sv["themes"] as? [String] == ["land", "pasture"] && sv["language"] as? String == "songhay")
        #expect(sv["women_count"] as? Int == 14 && sv["men_count"] as? Int == 11)
        let people = try box.list("participant").map(values)
        #expect(people.count == 14 && people.allSatisfy { $0["session"] as? String == session["id"] as? String }, "\(people)")
        #expect(people.filter { $0["consent"] as? String == "no" && $0["name"] == nil }.count == 13, "quick lines name nobody")
        #expect(
            people.filter { $0["sex"] as? String == "male" && $0["age_band"] as? String == "25_35" && $0["role"] as? String == "elder" }.count == 12)
        #expect(people.contains { $0["name"] as? String == "Aminata Maïga" && $0["sex"] as? String == "female" })
    }

    /// The line editor on a terminal that can move its cursor: Ctrl-A and Ctrl-E, the arrows, Ctrl-U; ↑ goes back one
    /// question; a reference picked by a word of its title; the save question takes only yes or no (or a number).
    @Test func theLineEditorMovesWithinALineAndUpGoesBackAQuestion() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let well = try box.add("initiative", ["title": "Puits pastoral de Bara", "type": "well"])
        _ = try box.add("initiative", ["title": "École de Tassiga", "type": "school"])
        let ctrlA = "\u{01}", ctrlE = "\u{05}", ctrlU = "\u{15}", left = "\u{1B}[D", up = "\u{1B}[A"
        let steps = [
            Step("[1/5] Initiative *", send: "PUITS\n"),  // a word of the title, any case
            Step("[2/5] Follow-up date *", send: "2026\(ctrlA)20/11/\(ctrlE)\n"),
            Step("[3/5] Status observed *", send: up),
            Step("[2/5] Follow-up date *", "[2026-11-20] > ", send: "\n"),
            Step("[3/5] Status observed *", send: "in progres\(left)\(left)\(left)\(left)\(left)\(left)\(left)\(ctrlE)s\n"),
            Step("[4/5] Progress (%)", send: "4\(left)\(left)\(ctrlE)0\n"),
            Step("[5/5] Notes", send: "Bon état\(ctrlU)Travaux en cours\n"),
            Step("Your answers:", "1. Initiative : Puits pastoral de Bara", "Save? [Y/n]", send: "maybe\n"),
            Step("answer yes, no, or the number of an answer to change", "Save? [Y/n]", send: "4\n"),
            Step("[4/5] Progress (%)", "[40] > ", send: "45\n"),
            Step("4. Progress (%) : 45", "Save? [Y/n]", send: "yes\n"),
        ]
        let o = try drive(box, ["add", "followup"], term: "xterm-256color", steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count && o.exit == 0, "\(o)")
        let v = values(try #require(try box.list("followup").first))
        #expect(v["initiative"] as? String == well, "\(v)")
        #expect(v["date"] as? String == "2026-11-20" && v["status"] as? String == "in_progress", "\(v)")
        #expect(v["progress"] as? Int == 45 && v["notes"] as? String == "Travaux en cours", "\(v)")
    }

    /// `palabre edit ID` without --set, the record named by the end of its id as lists show it: every question with
    /// the record's answer as the default; only what changed is written, and the history says from what to what.
    @Test func editWithoutSetAsksEveryQuestionWithTheCurrentAnswers() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let initiative = try box.add("initiative", ["title": "Puits pastoral de Bara", "type": "well"])
        let id = try box.add("followup", ["initiative": initiative, "date": "2026-11-20", "status": "in_progress", "progress": "40"])
        let short = String(id.suffix(8))
        #expect(try box.palabre(["list", "followup"]).stdout.hasPrefix(short + "  followup"), "lists show the short id")
        let steps = [
            Step("[1/5] Initiative *", "[Puits pastoral de Bara] > ", send: "\n"),
            Step("[2/5] Follow-up date *", "[2026-11-20] > ", send: "25/11/2026\n"),
            Step("[3/5] Status observed *", "[In progress] > ", send: "\n"),
            Step("[4/5] Progress (%)", "[40] > ", send: "-\n"),  // cleared
            Step("[5/5] Notes", send: "\n"),
            Step("2. Follow-up date : 2026-11-25", "4. Progress (%) : —", "Save? [Y/n]", send: "y\n"),
        ]
        let o = try drive(box, ["edit", short], steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count && o.exit == 0, "\(o)")
        let v = values(try box.show(id))
        #expect(v["date"] as? String == "2026-11-25" && v["progress"] == nil && v["status"] as? String == "in_progress", "\(v)")
        #expect(v["initiative"] as? String == initiative)
        let history = try box.palabre(["show", short, "--history"])
        #expect(history.stdout.contains("Follow-up date: 2026-11-20 → 2026-11-25 ("), "\(history)")
        #expect(history.stdout.contains("Progress (%): 40 → ∅ ("), "\(history)")
        #expect(!history.stdout.contains("Status observed:"), "an answer kept is not written again: \(history)")
    }

    /// A person erased (consent withdrawn) can still have their other answers corrected by `edit`: the erased name is
    /// not asked, and the review does not hold the save back for it.
    @Test func anErasedPersonsOtherAnswersCanBeEditedInteractively() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let session = try box.addSession()
        let id = try box.add(
            "participant", ["session": session, "consent": "yes", "name": "Hawa Oubliée", "sex": "female", "age_band": "18_24", "role": "youth"])
        #expect(try box.palabre(["erase", id, "--by", "coordination", "--yes"]).status == 0)
        let steps = [
            Step("[1/7] Session *", send: "\n"),  // name and phone are erased: not asked, not counted
            Step("[2/7] Consent to be named *", "[Yes] > ", send: "\n"),
            Step("[3/7] Sex *", send: "\n"),
            Step("[4/7] Age group *", send: "\n"),
            Step("[5/7] Role in the community *", "[Young person] > ", send: "elder\n"),
            Step("[7/7]", send: "\n"),
            Step("Your answers:", "5. Role in the community : Elder", "Save? [Y/n]", send: "y\n"),
        ]
        let o = try drive(box, ["edit", String(id.suffix(8))], steps: steps)
        #expect(o.stuck == nil && o.stepsDone == steps.count && o.exit == 0, "\(o)")
        #expect(!o.transcript.contains("✗"), "no problem held the save back: \(o)")
        let v = values(try box.show(id))
        #expect(v["role"] as? String == "elder" && v["name"] == nil, "\(v)")
    }
}
