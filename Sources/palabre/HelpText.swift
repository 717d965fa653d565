import ArgumentParser
import Foundation
import PalabreCore
import PalabreStore

/// The language of `--help` and of the messages of the argument parser, chosen before anything is parsed, as the
/// commands choose theirs: `--lang`, `$PALABRE_LANG`, the store's language for help (set at `palabre init --lang fr`), the
/// locale, else English.
enum HelpLanguage {
    static let current: Language = choose(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment)

    /// The store is opened to read its language only when help is asked for: every other command's start-up does not
    /// pay for a second open of the store (its help texts are built but never shown).
    static func choose(arguments: [String], environment env: [String: String]) -> Language {
        let wantsHelp = arguments.contains { $0 == "-h" || $0 == "--help" } || arguments.dropFirst().first == "help"
        func value(of option: String) -> String? {
            for (i, a) in arguments.enumerated() {
                if a == option, i + 1 < arguments.count { return arguments[i + 1] }
                if a.hasPrefix(option + "=") { return String(a.dropFirst(option.count + 1)) }
            }
            return nil
        }
        if let l = value(of: "--lang").flatMap({ Language(locale: $0) }) { return l }
        if let l = env["PALABRE_LANG"].flatMap({ Language(locale: $0) }) { return l }
        let path =
            value(of: "--store") ?? env["PALABRE_STORE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.local/share/palabre/store.sqlite")
        if wantsHelp, FileManager.default.fileExists(atPath: path), let store = try? FieldStore(path: path, mode: .readOnly),
            let l = try? store.identity().language
        {
            return l
        }
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let v = env[key], !v.isEmpty { return Language(locale: v) ?? .en }
        }
        return .en
    }
}

/// A text of the command-line help in the language of ``HelpLanguage``. In French the space before « ; : ? ! » and
/// inside « » is made non-breaking, so the parser's wrapping never starts a line with the sign.
func tr(_ fr: String, _ en: String) -> String {
    guard HelpLanguage.current == .fr else { return en }
    var text = fr
    for (plain, bound) in [
        (" ;", "\u{00A0};"), (" :", "\u{00A0}:"), (" ?", "\u{00A0}?"), (" !", "\u{00A0}!"), ("« ", "«\u{00A0}"), (" »", "\u{00A0}»"),
    ] {
        text = text.replacingOccurrences(of: plain, with: bound)
    }
    return text
}

/// The same, as the argument parser takes it.
func trHelp(_ fr: String, _ en: String) -> ArgumentHelp { ArgumentHelp(tr(fr, en)) }

/// The argument parser's own words (headings, its errors), said in French when French is chosen: its help texts are
/// ours, but its frame is English only.
enum ParserWords {
    static let french: [(String, String)] = [
        ("OVERVIEW:", "PRÉSENTATION :"),
        ("USAGE:", "UTILISATION :"),
        ("ARGUMENTS:", "ARGUMENTS :"),
        ("OPTIONS:", "OPTIONS :"),
        ("SUBCOMMANDS:", "SOUS-COMMANDES :"),
        ("' for detailed help.", " » pour l'aide détaillée."),
        ("(default)", "(par défaut)"),
        ("Show help information.", "Affiche cette aide."),
        ("Show the version.", "Affiche la version."),
        ("(default: ", "(par défaut : "),
        ("(values: ", "(valeurs : "),
        ("<subcommand>", "<sous-commande>"),
        ("<options>", "<options>"),
        ("Error: ", "Erreur : "),
        ("Missing expected argument ", "il manque l'argument "),
        ("Unknown option ", "option inconnue "),
        ("Unexpected argument ", "argument inattendu "),
        ("Missing value for ", "il manque la valeur de "),
        ("The value '", "la valeur « "),
        ("' is invalid for ", " » ne convient pas à "),
        ("Help:  ", "Aide :  "),
        ("Usage: ", "Utilisation : "),
        ("  See '", "  Voir « "),
        ("' for more details.", " » pour en savoir plus."),
        ("' for more information.", " » pour en savoir plus."),
    ]

    /// A text of the parser in the chosen language.
    static func localized(_ text: String) -> String {
        guard HelpLanguage.current == .fr else { return text }
        var out = text
        for (en, fr) in french { out = out.replacingOccurrences(of: en, with: fr) }
        return out
    }
}

extension ParsableCommand {
    /// Parses and runs as `main` does, with the parser's help and errors in the chosen language.
    static func localizedMain() async {
        // `palabre help add --lang fr` is `palabre add --help` (the help command takes no --lang: its language is read
        // before parsing).
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "help" {
            arguments.removeFirst()
            if let i = arguments.firstIndex(of: "--lang"), i + 1 < arguments.count { arguments.removeSubrange(i...(i + 1)) }
            arguments.removeAll { $0.hasPrefix("--lang=") }
            arguments.append("--help")
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let text = ParserWords.localized(fullMessage(for: error))
            if !text.isEmpty {
                let stream = code == .success ? FileHandle.standardOutput : FileHandle.standardError
                stream.write(Data((text + "\n").utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}
