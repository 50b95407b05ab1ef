import Foundation

/// One `mpw` command line found in a shell code block of a Markdown file, with the words the
/// `mpw` process would receive after the shell has done its work.
struct DocumentedCommand: CustomStringConvertible {
    let file: String
    let line: Int
    let text: String
    let arguments: [String]

    var description: String { "\(file):\(line): \(text)" }
}

/// Reads the `mpw` command lines out of Markdown the way a shell would run them: `\` line
/// continuations, comments, quotes, `NAME=value` assignments and `for NAME in ...` loops (the
/// loop's first value), `$NAME`, `${NAME}` and `$(...)` (unknown ones become `1`, a value every
/// count, path and name option takes), pipes, `&&`, `||`, `;`, `&` and redirections. A command is
/// one that starts with `mpw` or a path ending in `/mpw` (`.build/release/mpw`), one that
/// `mpirun`/`mpiexec` launches, or `scripts/demo` (whose arguments go to `mpw demo`).
enum DocumentedCommands {
    static let shellLanguages: Set<String> = ["sh", "bash", "shell", "console", "zsh"]

    /// Every `mpw` command in the shell code blocks of `markdown`.
    static func commands(inMarkdown markdown: String, file: String) -> [DocumentedCommand] {
        var commands: [DocumentedCommand] = []
        var inFence = false
        var block: [(line: Int, text: String)] = []
        var isShell = false
        for (index, line) in markdown.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if inFence {
                    if isShell { commands += Self.commands(inShell: block, file: file) }
                    block = []
                } else {
                    isShell = shellLanguages.contains(trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased())
                }
                inFence.toggle()
            } else if inFence && isShell {
                block.append((index + 1, line))
            }
        }
        return commands
    }

    /// The `mpw` commands of one shell block, its lines numbered as in the file.
    static func commands(inShell lines: [(line: Int, text: String)], file: String) -> [DocumentedCommand] {
        var variables: [String: String] = [:]
        var commands: [DocumentedCommand] = []
        var index = 0
        while index < lines.count {
            let first = lines[index].line
            var text = lines[index].text
            while text.hasSuffix("\\"), index + 1 < lines.count {
                text = String(text.dropLast()) + " " + lines[index + 1].text.trimmingCharacters(in: .whitespaces)
                index += 1
            }
            index += 1
            let shown = text.trimmingCharacters(in: .whitespaces)
            for words in ShellWords.simpleCommands(in: text, variables: &variables) {
                if let arguments = mpwArguments(words) {
                    commands.append(DocumentedCommand(file: file, line: first, text: shown, arguments: arguments))
                }
            }
        }
        return commands
    }

    /// The words after `mpw` when `words` runs it, directly or under `mpirun`.
    static func mpwArguments(_ words: [String]) -> [String]? {
        var words = words[...]
        while let word = words.first, ["time", "exec", "nohup", "env"].contains(word) || isAssignment(word) { words = words.dropFirst() }
        guard let command = words.first else { return nil }
        if isMPW(command) { return Array(words.dropFirst()) }
        if command == "scripts/demo" || command.hasSuffix("/scripts/demo") { return ["demo"] + words.dropFirst() }
        if ["mpirun", "mpiexec"].contains(command), let start = words.firstIndex(where: isMPW) {
            return Array(words[(start + 1)...])
        }
        return nil
    }

    static func isMPW(_ word: String) -> Bool { word == "mpw" || word.hasSuffix("/mpw") }

    static func isAssignment(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        return word[..<equals].allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}
