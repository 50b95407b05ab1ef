import Datasets
import Foundation
import Tensors
import Training

/// `mpw explain --prototypes`: for every class, a sheet with one row per proxy showing the
/// training patches where that proxy takes the most mass, and prototypes.json listing them.
/// Interrupted, it writes both from the images scanned so far and returns false.
enum PrototypeSheets {
    struct Entry: Codable {
        let classIndex: Int
        let className: String
        let proxy: Int
        let sample: Int
        let row: Int
        let column: Int
        let mass: Float
    }

    static func write(model: TrainedModel, datasetName: String?, directory: String?, limit: Int?, top: Int, batch: Int,
                      scale: Int, out: String) throws -> Bool {
        let configuration = model.checkpoint.configuration
        let name = datasetName ?? configuration.dataset
        guard let kind = DatasetKind(rawValue: name) else {
            throw ConfigurationError(DatasetKind.unknownNameMessage(name))
        }
        let split: DatasetSplit = kind.splits.contains(.train) ? .train : .test
        let sameDataset = name == configuration.dataset
        let dataset = try kind.open(directory: directory ?? (sameDataset ? configuration.dataDirectory : nil), split: split,
                                    options: sameDataset ? configuration.datasetOptions : .init()).prefix(limit)
        guard dataset.classNames.count == model.classNames.count else {
            throw ConfigurationError("--dataset \(name) has \(dataset.classNames.count) classes, the checkpoint \(model.classNames.count)")
        }
        let progress = WorkProgress("searching \(name) \(split.rawValue) images", total: dataset.count, unit: "images")
        var scanned = 0
        // Ctrl-C (or SIGTERM) ends the scan after its current batch; what it found is still written.
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        let matches = try model.prototypes(in: dataset, top: top, batchSize: batch, workers: 2,
                                           shouldStop: { InterruptSignal.isRequested }) { done, _ in
            scanned = min(done * batch, dataset.count)
            progress.update(done: scanned)
        }
        progress.finish()
        let complete = scanned == dataset.count
        let samples = Array(Set(matches.flatMap { $0.flatMap { $0.map(\.sample) } })).sorted()
        let pixels = Dictionary(uniqueKeysWithValues: zip(samples, try model.batch(DatasetSubset(base: dataset, indices: samples)).pixels))
        let features = model.model.backbone.featureSize(forInput: model.inputShape.height)
        var entries: [Entry] = []
        for (classIndex, proxies) in matches.enumerated() {
            let className = model.classNames[classIndex]
            var rows: [PictureSheet.Row] = []
            for (proxy, list) in proxies.enumerated() {
                let patches = list.map { match in
                    FlowPicture.enlarged(model.patch(around: match.position, mapHeight: features, mapWidth: features, in: pixels[match.sample]!),
                                         scale: 2 * scale)
                }
                rows.append(.init(label: "P\(proxy)", pictures: patches))
                entries += list.map {
                    Entry(classIndex: classIndex, className: className, proxy: proxy, sample: $0.sample,
                          row: $0.position / features, column: $0.position % features, mass: $0.mass)
                }
            }
            let title = "class \(classIndex) \(className): top patches per proxy"
            let file = "\(out)/prototypes-\(classIndex)-\(ImageFiles.safeName(className)).png"
            try PictureSheet.render(title: title, columnLabels: (1...top).map(String.init), rows: rows)
                .writePNG(to: file, text: [("Software", "mpw explain --prototypes"), ("Title", title)])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(try encoder.encode(entries), to: URL(fileURLWithPath: "\(out)/prototypes.json"))
        print("searched \(scanned) of \(dataset.count) \(name) \(split.rawValue) images; wrote \(matches.count) sheets and prototypes.json to \(out)/")
        if !complete {
            FileHandle.standardError.write(Data("mpw: interrupted after scanning \(counted(scanned, "image")) of \(dataset.count); the sheets and prototypes.json in \(out)/ are a partial result, from those images only\n".utf8))
        }
        return complete
    }
}
