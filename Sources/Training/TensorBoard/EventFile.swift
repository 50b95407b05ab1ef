import Foundation
import Interchange
import SwiftProtobuf
import Tensors

/// A TensorBoard event file (`events.out.tfevents.<time>.<host>`): TFRecord-framed `Event`
/// messages, the first one `file_version: "brain.Event:2"`. Records are appended and flushed
/// one by one, so TensorBoard sees a run while it trains.
public final class EventFile {
    public static let prefix = "events.out.tfevents."
    public let url: URL
    /// Whether the file was created now (rather than continued).
    public let isNew: Bool
    private let handle: FileHandle

    /// Opens the run directory's event file: a new one, or the existing one with only its events
    /// at steps up to `keepingStepsThrough` kept (rewritten atomically), so a resumed run
    /// continues it without the steps it is about to redo.
    public init(directory: URL, keepingStepsThrough lastStep: Int64) throws {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?
            .filter { $0.hasPrefix(Self.prefix) }.sorted().last
        isNew = existing == nil
        if let existing {
            url = directory.appendingPathComponent(existing)
            let kept = TFRecord.payloads(try Data(contentsOf: url)).filter { payload in
                guard let event = try? Tensorboard_Event(serializedBytes: payload) else { return false }
                if case .fileVersion? = event.what { return true }
                return event.step <= lastStep
            }
            try AtomicFile.writeRecords(kept, to: url)
        } else {
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
            url = directory.appendingPathComponent("\(Self.prefix)\(Int(Date().timeIntervalSince1970)).\(host)")
            var version = Tensorboard_Event()
            version.wallTime = Date().timeIntervalSince1970
            version.fileVersion = "brain.Event:2"
            try AtomicFile.writeRecords([try version.serializedBytes()], to: url)
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw ConfigurationError("\(url.path): cannot open the TensorBoard event file (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }

    /// Appends one summary event at `step`.
    public func write(_ values: [Tensorboard_Summary.Value], step: Int64, wallTime: Double = Date().timeIntervalSince1970) throws {
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = step
        var summary = Tensorboard_Summary()
        summary.value = values
        event.summary = summary
        let record = TFRecord.frame(try event.serializedBytes())
        do {
            try handle.write(contentsOf: record)
        } catch {
            throw ConfigurationError("\(url.path): cannot write the TensorBoard event file (\(error.localizedDescription))")
        }
    }
}

extension Tensorboard_Summary.Value {
    /// A scalar (TensorBoard's scalars dashboard).
    public static func scalar(_ tag: String, _ value: Double) -> Self {
        var entry = Self()
        entry.tag = tag
        entry.simpleValue = Float(value)
        return entry
    }

    /// A PNG image (the images dashboard).
    public static func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int) -> Self {
        var image = Tensorboard_Summary.Image()
        image.width = Int32(width)
        image.height = Int32(height)
        image.colorspace = Int32(channels)
        image.encodedImageString = Data(png)
        var entry = Self()
        entry.tag = tag
        entry.image = image
        return entry
    }

    /// Markdown text (the text dashboard): a scalar string tensor under the "text" plugin.
    public static func text(_ tag: String, _ markdown: String) -> Self {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtString
        tensor.tensorShape = Tensorboard_TensorShapeProto()
        tensor.stringVal = [Data(markdown.utf8)]
        var metadata = Tensorboard_SummaryMetadata()
        var plugin = Tensorboard_SummaryMetadata.PluginData()
        plugin.pluginName = "text"
        metadata.pluginData = plugin
        var entry = Self()
        entry.tag = tag
        entry.metadata = metadata
        entry.tensor = tensor
        return entry
    }
}

extension AtomicFile {
    /// Writes `payloads` as TFRecord records, atomically.
    static func writeRecords(_ payloads: [Data], to url: URL) throws {
        try write(payloads.reduce(into: Data()) { $0.append(TFRecord.frame($1)) }, to: url)
    }
}
