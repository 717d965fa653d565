import Foundation

import Glibc

/// What reading one answer gave.
enum Input: Equatable {
    /// A line, without its newline.
    case line(String)
    /// Up arrow (or `<` alone): back one question.
    case back
    /// End of input (Ctrl-D on an empty line, or the input closed).
    case end
}

/// The line editor of interactive capture: a small one of our own on the terminal's raw mode (termios), because no
/// line-editing package is among this machine's Swift packages and linking GNU readline would make the static
/// `palabre` GPL and depend on a shared library the laptops may lack. It does what a facilitator needs and no more:
/// ← → Home End, Ctrl-A / Ctrl-E, Backspace and Delete, Ctrl-K / Ctrl-U / Ctrl-W to cut, the answers typed earlier in
/// this command with Ctrl-P / Ctrl-N (or Page Up / Page Down), and ↑ to go back one question. The history stays in
/// memory: a history file would keep the names typed on the laptop's disk, unsealed.
///
/// On anything that is not a terminal, or a terminal that says it cannot move its cursor (`TERM=dumb`), or with
/// `PALABRE_PLAIN_INPUT=1`, lines are read as they come (the terminal's own editing: Backspace only).
final class LineEditor: @unchecked Sendable {
    /// One per process: the history is shared by every question of a command.
    nonisolated(unsafe) static let shared = LineEditor()

    private(set) var history: [String] = []
    let editing: Bool
    /// The line being read (raw mode).
    private var s = State()
    private var prompt = ""
    private var promptWidth = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let term = environment["TERM"] ?? ""
        editing =
            isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 && !["", "dumb", "unknown"].contains(term)
            && environment["PALABRE_PLAIN_INPUT"] == nil
    }

    /// Shows `prompt` and reads one line. With `allowBack`, ↑ (or a lone `<`) gives ``Input/back``.
    func read(prompt: String, allowBack: Bool = false) -> Input {
        let got = editing ? readEditing(prompt: prompt, allowBack: allowBack) : readPlain(prompt: prompt, allowBack: allowBack)
        if case .line(let l) = got, !l.trimmingCharacters(in: .whitespaces).isEmpty, l != history.last { history.append(l) }
        return got
    }

    private func write(_ s: String) {
        var data = Array(s.utf8)
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeMutableBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func readPlain(prompt: String, allowBack: Bool) -> Input {
        write(prompt)
        guard let line = readLine(strippingNewline: true) else { return .end }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if allowBack, trimmed == "<" || trimmed.hasPrefix("\u{1B}[A") || trimmed.hasPrefix("\u{1B}OA") { return .back }
        return .line(line)
    }

    // MARK: Raw mode

    /// The line being edited, the cursor (in characters) and where the history browse stands.
    private struct State {
        var buffer: [Character] = []
        var cursor = 0
        var historyIndex = 0
        var saved: [Character] = []
        /// The row of the cursor below the prompt's first row, as last drawn.
        var cursorRow = 0
    }

    private func readEditing(prompt: String, allowBack: Bool) -> Input {
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return readPlain(prompt: prompt, allowBack: allowBack) }
        var raw = original
        raw.c_iflag &= ~tcflag_t(ICRNL | IXON | BRKINT | ISTRIP | INPCK)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0 else { return readPlain(prompt: prompt, allowBack: allowBack) }
        // Input typed ahead (pasted quick lines) stays for the next read: TCSANOW, never a flush.
        defer { tcsetattr(STDIN_FILENO, TCSANOW, &original) }

        self.prompt = prompt
        promptWidth = Self.width(prompt)
        s = State(historyIndex: history.count)
        write(prompt)
        s.cursorRow = Self.row(of: promptWidth, columns: columns())
        while true {
            guard let byte = readByte() else { return s.buffer.isEmpty ? .end : finish() }
            switch byte {
            case 0x0D, 0x0A:
                return finish()
            case 0x03:  // Ctrl-C: give up, as the signal would
                endLine("^C")
                tcsetattr(STDIN_FILENO, TCSANOW, &original)
                signal(SIGINT, SIG_DFL)
                raise(SIGINT)
                return .end
            case 0x04:  // Ctrl-D: end of input on an empty line, else delete
                if s.buffer.isEmpty {
                    write("\r\n")
                    return .end
                }
                if s.cursor < s.buffer.count {
                    s.buffer.remove(at: s.cursor)
                    refresh()
                }
            case 0x7F, 0x08:
                if s.cursor > 0 {
                    s.cursor -= 1
                    s.buffer.remove(at: s.cursor)
                    refresh()
                }
            case 0x01: move(to: 0)
            case 0x05: move(to: s.buffer.count)
            case 0x02: move(to: s.cursor - 1)
            case 0x06: move(to: s.cursor + 1)
            case 0x0B:
                s.buffer.removeSubrange(s.cursor...)
                refresh()
            case 0x15:
                s.buffer.removeSubrange(..<s.cursor)
                s.cursor = 0
                refresh()
            case 0x17:  // Ctrl-W: the word before the cursor
                var start = s.cursor
                while start > 0, s.buffer[start - 1] == " " { start -= 1 }
                while start > 0, s.buffer[start - 1] != " " { start -= 1 }
                s.buffer.removeSubrange(start..<s.cursor)
                s.cursor = start
                refresh()
            case 0x10: browse(by: -1)
            case 0x0E: browse(by: 1)
            case 0x1B:
                switch readEscape() {
                case "A":
                    if allowBack {
                        endLine("")
                        return .back
                    }
                    browse(by: -1)
                case "B": browse(by: 1)
                case "C": move(to: s.cursor + 1)
                case "D": move(to: s.cursor - 1)
                case "H", "1~", "7~": move(to: 0)
                case "F", "4~", "8~": move(to: s.buffer.count)
                case "3~":
                    if s.cursor < s.buffer.count {
                        s.buffer.remove(at: s.cursor)
                        refresh()
                    }
                case "5~": browse(by: -1)
                case "6~": browse(by: 1)
                default: break
                }
            case 0x00..<0x20:
                break  // other control keys (Tab included) do nothing
            default:
                guard let c = readCharacter(startingWith: byte) else { continue }
                s.buffer.insert(c, at: s.cursor)
                s.cursor += 1
                if s.cursor == s.buffer.count, (promptWidth + s.buffer.count) % columns() != 0 {
                    write(String(c))  // typing at the end: no redraw
                    s.cursorRow = Self.row(of: promptWidth + s.cursor, columns: columns())
                } else {
                    refresh()
                }
            }
        }
    }

    private func refresh() { s.cursorRow = redraw() }

    /// Ends the line being edited below all of it (a wrapped answer included), after `mark`.
    private func endLine(_ mark: String) {
        s.cursor = s.buffer.count
        refresh()
        write(mark + "\r\n")
    }

    /// The row (from 0) of a column position: at the very end of a full row the terminal waits to wrap, still on it.
    static func row(of position: Int, columns: Int) -> Int {
        position > 0 && position % columns == 0 ? position / columns - 1 : position / columns
    }

    private func finish() -> Input {
        s.cursor = s.buffer.count
        refresh()
        write("\r\n")
        let line = String(s.buffer)
        return .line(line)
    }

    private func move(to position: Int) {
        let p = max(0, min(position, s.buffer.count))
        guard p != s.cursor else { return }
        s.cursor = p
        refresh()
    }

    private func browse(by step: Int) {
        let target = s.historyIndex + step
        guard target >= 0, target <= history.count else { return }
        if s.historyIndex == history.count { s.saved = s.buffer }
        s.historyIndex = target
        s.buffer = target == history.count ? s.saved : Array(history[target])
        s.cursor = s.buffer.count
        refresh()
    }

    /// Draws the prompt and the line again, over as many rows as they take, and puts the cursor in place; returns the
    /// cursor's row below the prompt's first one.
    private func redraw() -> Int {
        let cols = columns()
        var out = ""
        if s.cursorRow > 0 { out += "\u{1B}[\(s.cursorRow)A" }
        // Cleared before drawing: clearing after would erase the last column of a full row the cursor waits on.
        out += "\r\u{1B}[J" + prompt + String(s.buffer)
        let end = promptWidth + s.buffer.count
        let at = promptWidth + s.cursor
        var endRow = end / cols
        // At the very end of a full row the terminal waits to wrap: a newline makes the next row the cursor's.
        if end > 0, end % cols == 0, s.cursor == s.buffer.count {
            out += "\n"
        } else if end % cols == 0, end > 0 {
            endRow -= 1
        }
        let row = at / cols
        if endRow > row { out += "\u{1B}[\(endRow - row)A" }
        out += "\r"
        if at % cols > 0 { out += "\u{1B}[\(at % cols)C" }
        write(out)
        return row
    }

    /// The terminal's width, 80 when it does not say.
    private func columns() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Columns a text takes: one per character (the labels are Latin script).
    static func width(_ s: String) -> Int {
        s.split(separator: "\n", omittingEmptySubsequences: false).last.map(\.count) ?? 0
    }

    private func readByte() -> UInt8? {
        var b: UInt8 = 0
        while true {
            let n = Glibc.read(STDIN_FILENO, &b, 1)
            if n == 1 { return b }
            if n < 0, errno == EINTR { continue }
            return nil
        }
    }

    /// The rest of an escape sequence after ESC: `A` for `ESC [ A`, `3~` for `ESC [ 3 ~`; empty for a lone ESC.
    private func readEscape() -> String {
        // A lone Esc is not followed within 50 ms by the rest of a sequence: it does nothing, and eats no key.
        var ready = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, 50) > 0 else { return "" }
        guard let first = readByte(), first == UInt8(ascii: "[") || first == UInt8(ascii: "O") else { return "" }
        var text = ""
        while let b = readByte() {
            text.append(Character(UnicodeScalar(b)))
            if (0x40...0x7E).contains(b) { break }
            if text.count > 8 { break }
        }
        return text
    }

    /// A whole UTF-8 character from its first byte (and the bytes it announces).
    private func readCharacter(startingWith first: UInt8) -> Character? {
        var bytes = [first]
        let more = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
        for _ in 0..<more {
            guard let b = readByte() else { return nil }
            bytes.append(b)
        }
        return String(bytes: bytes, encoding: .utf8).flatMap(\.first)
    }
}
