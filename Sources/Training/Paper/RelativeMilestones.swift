/// Schedule milestones written as percentages of the run (`multistep:50%,75%`), so a preset's
/// schedule keeps its shape when `--epochs` shortens the run.
public enum RelativeMilestones {
    /// `text` with every `P%` milestone replaced by the epoch nearest to P % of `epochs` (at least 1).
    public static func resolve(_ text: String, epochs: Int) -> String {
        guard text.hasPrefix("multistep:"), text.contains("%") else { return text }
        var body = Substring(text.dropFirst("multistep:".count))
        var factor = ""
        if let times = body.lastIndex(of: "x") {
            factor = String(body[times...])
            body = body[..<times]
        }
        let milestones = body.split(separator: ",", omittingEmptySubsequences: false).map { part -> String in
            guard part.hasSuffix("%"), let percent = Double(part.dropLast()), percent > 0 else { return String(part) }
            return String(max(1, Int((Double(epochs) * percent / 100).rounded())))
        }
        return "multistep:" + milestones.joined(separator: ",") + factor
    }
}
