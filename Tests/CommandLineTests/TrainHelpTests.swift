import Testing
@testable import mpw

/// `mpw train --help` is grouped by topic, and every default is printed once.
@Suite struct TrainHelpTests {
    static let help = TrainCommand.helpMessage(columns: 10_000)

    @Test func optionsAreGroupedByTopic() {
        let titles = ["RUN:", "DATA:", "MODEL:", "HEAD:", "OPTIMISATION:", "FINE-TUNING:", "COMPUTE:", "PRECISION:", "SEVERAL PROCESSES (MPIRUN):"]
        let positions = titles.map { title in Self.help.range(of: "\n" + title + "\n")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(Self.help)")
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted(), "the groups appear in the order of the guide")
        // Each flag sits under its topic.
        for (flag, topic) in [("--lr", "OPTIMISATION:"), ("--validation-split", "DATA:"), ("--proxies", "HEAD:"), ("--init", "FINE-TUNING:"),
                              ("--bucket-mb", "SEVERAL PROCESSES (MPIRUN):"), ("--resume", "RUN:")] {
            let flagPosition = Self.help.range(of: "  " + flag + " ")?.lowerBound
            let topicIndex = titles.firstIndex(of: topic)!
            let start = positions[topicIndex]!, end = topicIndex + 1 < titles.count ? positions[topicIndex + 1]! : Self.help.endIndex
            #expect(flagPosition.map { $0 > start && $0 < end } == true, "\(flag) is not under \(topic)")
        }
    }

    /// Each option's entry as one string: its line and the continuation lines of its help.
    static var entries: [String] {
        var entries: [String] = []
        for line in help.split(separator: "\n") {
            if line.hasPrefix("  -") {
                entries.append(String(line))
            } else if line.hasPrefix("    "), !entries.isEmpty {
                entries[entries.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return entries
    }

    @Test func everyDefaultIsShownOnce() {
        let entries = Self.entries
        #expect(entries.count > 40)
        for entry in entries {
            #expect(entry.components(separatedBy: "(default").count - 1 <= 1, "\(entry)")
        }
        for flag in ["--dataset", "--model", "--greyscale", "--epochs", "--lr", "--bucket-mb", "--collective-timeout"] {
            let entry = entries.first { $0.hasPrefix("  " + flag + " ") }
            #expect(entry?.contains("(default") == true, "\(flag): \(entry ?? "missing")")
        }
        #expect(!Self.help.contains("README section"))
        #expect(Self.help.contains("docs/distributed.md"))
    }
}
