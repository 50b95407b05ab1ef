import Foundation
import Training

/// How `mpw predict` prints its results.
enum PredictionFormat {
    case table, json, csv

    /// The header line, if the format has one.
    var header: String? {
        self == .csv ? "filename,rank,class,probability" : nil
    }

    /// The lines for one image: JSON (one object per image) and CSV (one row per rank, as timm's
    /// inference script) print as they go; the table collects rows (see `tableRows`).
    func lines(file: String, classes: [RankedClass]) -> [String] {
        switch self {
        case .table:
            return []
        case .csv:
            return classes.enumerated().map { rank, ranked in
                [Self.csvField(file), String(rank + 1), Self.csvField(ranked.name), String(format: "%.6f", ranked.probability)].joined(separator: ",")
            }
        case .json:
            let object: [String: Any] = [
                "file": file,
                "predictions": classes.enumerated().map { rank, ranked in
                    ["rank": rank + 1, "index": ranked.index, "class": ranked.name, "probability": ranked.probability] as [String: Any]
                },
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return [String(decoding: data, as: UTF8.self)]
        }
    }

    /// Table rows for one image: the file on the first row, then one row per rank.
    static func tableRows(file: String, classes: [RankedClass]) -> [[String]] {
        classes.enumerated().map { rank, ranked in
            [rank == 0 ? file : "", String(rank + 1), ranked.name, String(format: "%.2f%%", 100 * ranked.probability)]
        }
    }

    /// RFC 4180: fields with commas, quotes or line breaks are quoted, quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
