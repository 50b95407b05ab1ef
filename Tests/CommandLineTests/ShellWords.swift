/// Splits a documented shell line into simple commands and their words, as a POSIX shell would
/// for the forms the docs use: quotes and backslash escapes, `#` comments, `$NAME`, `${NAME}` and
/// `$(...)` (unquoted values split into words), the separators `|`, `||`, `&&`, `;` and `&`, and
/// redirections (`> file`, `2>&1`, `< file`), which are dropped with their targets.
enum ShellWords {
    /// The value given to `$(...)` and to variables the block never set.
    static let unknownValue = "1"

    /// The simple commands of `line`, each as its words; `NAME=value` commands and the heads of
    /// `for NAME in FIRST ...` loops set `variables` for the lines after it.
    static func simpleCommands(in line: String, variables: inout [String: String]) -> [[String]] {
        var lexer = Lexer(characters: Array(line), variables: variables)
        let commands = lexer.run()
        var result: [[String]] = []
        for var words in commands {
            while let first = words.first, ["do", "then", "else", "{", "export"].contains(first) { words.removeFirst() }
            if words.first == "for", words.count >= 4, words[2] == "in" {
                variables[words[1]] = words[3]
            } else if !words.isEmpty, words.allSatisfy(DocumentedCommands.isAssignment) {
                for word in words {
                    let equals = word.firstIndex(of: "=")!
                    variables[String(word[..<equals])] = String(word[word.index(after: equals)...])
                }
            } else if !words.isEmpty, !["done", "fi", "}", "wait"].contains(words[0]) {
                result.append(words)
            }
        }
        return result
    }

    private struct Lexer {
        let characters: [Character]
        var variables: [String: String]
        var position = 0
        var word: String?
        var words: [String] = []
        var commands: [[String]] = []
        var dropsNextWord = false

        init(characters: [Character], variables: [String: String]) {
            self.characters = characters
            self.variables = variables
        }

        mutating func run() -> [[String]] {
            while position < characters.count {
                let character = characters[position]
                position += 1
                switch character {
                case " ", "\t": finishWord()
                case "#" where word == nil: position = characters.count
                case "'":
                    while position < characters.count, characters[position] != "'" { append(characters[position]); position += 1 }
                    position += 1
                    word = word ?? ""
                case "\"": readDoubleQuoted()
                case "\\":
                    if position < characters.count { append(characters[position]); position += 1 }
                case "$": appendSplitting(expansion())
                case "|", "&", ";":
                    finishWord()
                    if position < characters.count, characters[position] == character { position += 1 }
                    finishCommand()
                case ">", "<": redirect()
                default: append(character)
                }
            }
            finishWord()
            finishCommand()
            return commands
        }

        private mutating func append(_ character: Character) { word = (word ?? "") + String(character) }

        private mutating func finishWord() {
            guard let finished = word else { return }
            word = nil
            if dropsNextWord { dropsNextWord = false } else { words.append(finished) }
        }

        private mutating func finishCommand() {
            if !words.isEmpty { commands.append(words) }
            words = []
        }

        /// `>`, `>>`, `<`, `2>`, `>&2`, `2>&1`: the file descriptor before and the target after go.
        private mutating func redirect() {
            if let current = word, current.allSatisfy(\.isNumber) { word = nil } else { finishWord() }
            if position < characters.count, characters[position] == ">" { position += 1 }
            if position < characters.count, characters[position] == "&" {
                position += 1
                while position < characters.count, characters[position].isNumber { position += 1 }
            } else {
                dropsNextWord = true
            }
        }

        private mutating func readDoubleQuoted() {
            word = word ?? ""
            while position < characters.count, characters[position] != "\"" {
                let character = characters[position]
                position += 1
                if character == "\\", position < characters.count, "\"\\$`".contains(characters[position]) {
                    append(characters[position])
                    position += 1
                } else if character == "$" {
                    word! += expansion()
                } else {
                    append(character)
                }
            }
            position += 1
        }

        /// The value of the expansion after a `$`: a variable, or `unknownValue` for `$(...)`.
        private mutating func expansion() -> String {
            guard position < characters.count else { return "$" }
            if characters[position] == "(" {
                var depth = 0
                while position < characters.count {
                    if characters[position] == "(" { depth += 1 }
                    if characters[position] == ")" { depth -= 1 }
                    position += 1
                    if depth == 0 { break }
                }
                return ShellWords.unknownValue
            }
            var name = ""
            if characters[position] == "{" {
                position += 1
                while position < characters.count, characters[position] != "}" { name.append(characters[position]); position += 1 }
                position += 1
            } else {
                while position < characters.count, characters[position] == "_" || characters[position].isLetter || characters[position].isNumber {
                    name.append(characters[position])
                    position += 1
                }
            }
            if name.isEmpty { return "$" }
            return variables[name] ?? ShellWords.unknownValue
        }

        /// An unquoted expansion: its value is split into words at blanks.
        private mutating func appendSplitting(_ value: String) {
            let pieces = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if value.first == " " || value.first == "\t" { finishWord() }
            for (index, piece) in pieces.enumerated() {
                if index > 0 { finishWord() }
                word = (word ?? "") + piece
            }
            if value.last == " " || value.last == "\t" { finishWord() }
        }
    }
}
