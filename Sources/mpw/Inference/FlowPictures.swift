import Datasets
import Foundation
import Training

/// The pictures of `mpw explain IMAGE...`: per image, one heatmap per proxy and the argmax
/// picture (or one sheet for all), and explain.json.
enum FlowPictures {
    static func write(_ images: [(path: String, image: DecodedImage)], model: TrainedModel, classIndex: Int?, scale: Int,
                      sheet: Bool, out: String, checkpoint: String, batch: Int) throws -> ExplainReport {
        var entries: [ExplainReport.Image] = [], rows: [PictureSheet.Row] = [], usedStems: Set<String> = []
        let proxyCount = model.multiProxyHead?.proxiesPerClass ?? 0
        let proxyLabels = (0..<proxyCount).map { "P\($0)" }
        for start in stride(from: 0, to: images.count, by: batch) {
            let chunk = Array(images[start..<min(start + batch, images.count)])
            let (input, pixels) = try model.batch(chunk.map(\.image))
            let (explanations, logits) = model.explain(input, classes: chunk.map { _ in classIndex })
            let ranked = model.rankedClasses(logits: logits, top: model.classNames.count)
            for (index, explanation) in explanations.enumerated() {
                let file = chunk[index].path
                let stem = uniqueStem(ImageFiles.stem(file), used: &usedStems)
                let picture = FlowPicture.enlarged(pixels[index], scale: scale)
                let className = model.classNames[explanation.classIndex]
                let probability = ranked[index].first { $0.index == explanation.classIndex }?.probability ?? 0
                let heatmaps = explanation.proxies.map {
                    FlowPicture.heatmap($0.map, mapHeight: explanation.mapHeight, mapWidth: explanation.mapWidth, over: picture)
                }
                let argmax = FlowPicture.assignment(explanation.proxies.map(\.map), mapHeight: explanation.mapHeight,
                                                    mapWidth: explanation.mapWidth, labels: proxyLabels, over: picture)
                var proxies: [ExplainReport.Proxy] = []
                for (proxy, flow) in explanation.proxies.enumerated() {
                    let name = sheet ? nil : "\(stem)-proxy\(proxy).png"
                    if let name {
                        try heatmaps[proxy].writePNG(to: out + "/" + name, text: [
                            ("Software", "mpw explain"), ("mpw.image", file), ("mpw.class", "\(explanation.classIndex) \(className)"),
                            ("mpw.proxy", String(proxy)), ("mpw.mass_share", String(format: "%.6f", flow.massShare)),
                            ("mpw.score_contribution", String(format: "%.6f", flow.contribution)),
                            ("mpw.score", String(format: "%.6f", explanation.score)),
                        ])
                    }
                    proxies.append(.init(proxy: proxy, massShare: flow.massShare, scoreContribution: flow.contribution, picture: name, map: flow.map))
                }
                let argmaxName = sheet ? nil : "\(stem)-argmax.png"
                if let argmaxName {
                    try argmax.writePNG(to: out + "/" + argmaxName, text: [
                        ("Software", "mpw explain"), ("mpw.image", file), ("mpw.class", "\(explanation.classIndex) \(className)"),
                        ("mpw.colours", proxyLabels.enumerated().map { proxy, label in
                            let colour = FlowPicture.color(of: proxy)
                            return "\(label) rgb(\(colour.0),\(colour.1),\(colour.2))"
                        }.joined(separator: ", ")),
                    ])
                }
                let top = ranked[index][0]
                entries.append(.init(file: file, classIndex: explanation.classIndex, className: className, predictedIndex: top.index,
                                     predictedName: top.name, probability: probability, score: explanation.score,
                                     mapHeight: explanation.mapHeight, mapWidth: explanation.mapWidth, argmaxPicture: argmaxName, proxies: proxies))
                if sheet { rows.append(.init(label: "\(stem) \(className)", pictures: [picture] + heatmaps + [argmax])) }
            }
        }
        if sheet {
            let title = "\(model.checkpoint.configuration.model) + \(model.checkpoint.configuration.head.kind): matching flow per proxy"
            try PictureSheet.render(title: title, columnLabels: ["IMAGE"] + proxyLabels + ["ARGMAX"], rows: rows)
                .writePNG(to: out + "/sheet.png", text: [("Software", "mpw explain"), ("Title", title)])
        }
        let report = ExplainReport(checkpoint: checkpoint, pictureScale: scale, sheet: sheet ? "sheet.png" : nil, images: entries)
        try report.write(to: out + "/explain.json")
        return report
    }

    /// `stem`, or `stem-2`, `stem-3`, ... when an earlier image had the same name.
    static func uniqueStem(_ stem: String, used: inout Set<String>) -> String {
        var candidate = stem, number = 1
        while used.contains(candidate) {
            number += 1
            candidate = "\(stem)-\(number)"
        }
        used.insert(candidate)
        return candidate
    }
}
