import Datasets
import Foundation
import Testing
import TestSupport
@testable import Serving

/// The page at GET / in a real browser: headless Chromium (Debian's `chromium`, installed by
/// scripts/test-tools) opens it, uploads an image through the page's own upload path, and shows
/// the server's answer and the matching flow.
@Suite(.serialized) struct ServingPageBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs the browser on `url` with `arguments`, killed after `limit` seconds; its standard output.
    static func browse(_ url: String, _ arguments: [String], profile: String, limit: Double = 120) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile)", "--virtual-time-budget=30000"] + arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return String(decoding: data, as: UTF8.self)
    }

    /// The text of the element with `id` in serialised HTML.
    static func text(ofID id: String, in html: String) -> String? {
        guard let start = html.range(of: "id=\"\(id)\"") else { return nil }
        guard let open = html[start.upperBound...].firstIndex(of: ">"), let close = html[open...].firstIndex(of: "<") else { return nil }
        return String(html[html.index(after: open)..<close])
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed: scripts/test-tools installs Debian's chromium (apt-get install chromium)"))
    func thePageUploadsAnImageAndShowsTheServersAnswer() async throws {
        let probe = try TemporaryDirectory()
        let files = try ServerFixture.writeImages(in: probe)
        let fixture = try await ServerFixture { $0.demoImage = files[1] }
        let served = try await fixture.post("/v1/predict?topk=5", file: files[1])
        let top = try #require((served.json["predictions"] as? [[String: Any]])?.first)
        let (name, probability) = (try #require(top["name"] as? String), try #require(top["probability"] as? Double))

        let url = "http://127.0.0.1:\(fixture.port)/?demo=/demo-image"
        let dom = try Self.browse(url, ["--dump-dom"], profile: probe.file("profile-dom").path)
        #expect(dom.contains("data-state=\"done\""), "the page did not finish: \(dom.suffix(400))")
        #expect(Self.text(ofID: "top-class", in: dom) == name)
        #expect(Self.text(ofID: "top-probability", in: dom) == String(format: "%.2f%%", 100 * probability))
        // The first bar carries the probability as JavaScript parsed it from the answer (Foundation's
        // JSON parser may land one ulp away).
        let attribute = try #require(dom.range(of: "data-rank=\"1\"").flatMap { rank in
            dom[rank.upperBound...].range(of: "data-probability=\"").map { dom[$0.upperBound...].prefix { $0 != "\"" } }
        })
        #expect(abs((Double(attribute) ?? -1) - probability) <= 1e-12, "the page shows \(attribute), the server answered \(probability)")
        #expect(dom.components(separatedBy: "class=\"proxy\"").count - 1 == 4, "one picture per proxy")
        #expect(dom.contains("data:image/png;base64,"))

        let screenshot = probe.file("page.png").path
        _ = try Self.browse(url, ["--screenshot=\(screenshot)", "--window-size=1100,760", "--hide-scrollbars"], profile: probe.file("profile-shot").path)
        let picture = try PNGCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: screenshot))), path: screenshot)
        #expect(picture.width == 1100 && picture.height == 760)
        var colours = Set<Int>(), barPixels = 0
        for pixel in stride(from: 0, to: picture.pixels.count, by: 3) {
            let (r, g, b) = (Int(picture.pixels[pixel]), Int(picture.pixels[pixel + 1]), Int(picture.pixels[pixel + 2]))
            colours.insert(r << 16 | g << 8 | b)
            if (r, g, b) == (31, 119, 180) { barPixels += 1 }
        }
        #expect(colours.count > 500, "the screenshot is blank or nearly (\(colours.count) colours)")
        #expect(barPixels > 100, "no probability bar drawn")
        if let keep = ProcessInfo.processInfo.environment["MPW_SERVE_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: screenshot, toPath: keep)
        }
        try await fixture.stop()
    }
}
