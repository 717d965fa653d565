/// Text made safe to print for people: values come from other laptops through the service, and a value holding
/// `ESC [ 31 m`, a bell or an operating system command would otherwise be run by the terminal (colours, a changed
/// window title, a hidden line, a forged prompt). Every C0 control, DEL and every C1 control is shown as a visible
/// escape instead: `\n`, `\r`, `\t`, and `\u{1B}`-style for the others. A backslash is left as it is. `--json` output
/// needs none of this: JSON escapes every control character itself.
///
/// ```swift
/// terminalSafe("Séance\u{1B}[31m rouge\u{07}")   // "Séance\u{1B}[31m rouge\u{7}", printed literally
/// terminalSafe("ligne 1\nligne 2", keepingNewlines: true)   // unchanged: error messages span lines
/// ```
func terminalSafe(_ text: String, keepingNewlines: Bool = false) -> String {
    func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || (0x7F...0x9F).contains(u.value) }
    guard text.unicodeScalars.contains(where: { isControl($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        guard isControl(u) else {
            out.append(u)
            continue
        }
        let shown: String
        switch u {
        case "\n": shown = keepingNewlines ? "\n" : "\\n"
        case "\r": shown = "\\r"
        case "\t": shown = "\\t"
        default: shown = "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
        }
        out.append(contentsOf: shown.unicodeScalars)
    }
    return String(out)
}

/// Prints a line for people, its control characters made visible (see ``terminalSafe(_:keepingNewlines:)``).
func printSafe(_ line: String) {
    print(terminalSafe(line))
}
