import Foundation
import Logging
import Training

/// The models `mpw serve` serves, and the one place a request finds its model: every route (the
/// Open Inference Protocol's over REST and gRPC, the image routes, the page) asks `withModel`.
///
/// Models come from a `RepositoryLayout`. A poller looks at the files every
/// `repositoryPollMilliseconds`: a checkpoint replaced on disk is loaded beside the one serving,
/// then swapped in under the lock; the old one finishes the requests that found it before its
/// batcher stops, so no request fails during a swap. A checkpoint that fails to load leaves the
/// one serving in place. Triton's repository extension unloads and loads models on request;
/// an unloaded model stays unloaded until loaded again, whatever its files do.
public final class ModelRepository: @unchecked Sendable {
    /// One model's state: its loaded versions, whether it was unloaded on request, and why
    /// versions on disk are not served (the last load's failure).
    struct Model {
        var versions: [String: ServedModel] = [:]
        var unloaded = false
        var problem: String?
        /// Files that failed to load, not tried again until they change.
        var failed: [String: CheckpointFile] = [:]
    }

    let layout: RepositoryLayout
    let settings: ServerSettings
    let metrics: ServerMetrics
    let logger: Logger

    private let lock = NSLock()
    private var models: [String: Model] = [:]
    private var statisticsByVersion: [String: InferenceStatistics] = [:]
    /// Held while files are read and models swapped, so that the poller and a load or unload
    /// request never interleave; requests only take `lock`.
    private let changing = NSLock()
    private let pollerState = NSCondition()
    private var pollerStopped = false
    private var poller: Thread?

    public init(layout: RepositoryLayout, settings: ServerSettings, metrics: ServerMetrics, logger: Logger) {
        self.layout = layout
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// A repository already serving `model` (read from `file`) as `settings.modelName`, version 1.
    convenience init(model: TrainedModel, file: String, settings: ServerSettings, metrics: ServerMetrics, logger: Logger) {
        self.init(layout: .file(path: file, name: settings.modelName), settings: settings, metrics: metrics, logger: logger)
        let served = ServedModel(name: settings.modelName, version: "1", model: model,
                                 file: CheckpointFile.at(file) ?? CheckpointFile(path: file, inode: 0, modified: .distantPast, size: 0),
                                 settings: settings, metrics: metrics, statistics: statistics(of: settings.modelName, "1"))
        models[settings.modelName] = Model(versions: ["1": served])
    }

    /// Loads every model on disk; throws the first failure when nothing could be loaded (a
    /// checkpoint file that does not load, or a folder without any).
    public func loadAll() throws {
        changing.lock()
        defer { changing.unlock() }
        let found = layout.scan()
        for (name, model) in found.sorted(by: { $0.key < $1.key }) { synchronise(name, with: model) }
        lock.lock()
        defer { lock.unlock() }
        guard models.values.contains(where: { !$0.versions.isEmpty }) else {
            if let problem = models.values.compactMap(\.problem).sorted().first { throw RepositoryError(problem) }
            guard case .directory(let path) = layout else { throw RepositoryError("nothing to serve") }
            throw RepositoryError("\(path): no checkpoint to serve (NAME.safetensors or NAME/VERSION/model.safetensors)")
        }
    }

    /// Runs `body` with the model `name` (nil: the default, the first name in order) at
    /// `version` (nil: its newest); 404 for a model or version not in the repository, 503 for a
    /// model that is unloaded or failed to load. The version stays in service until `body` ends.
    func withModel<T>(_ name: String?, version: String?, _ body: (ServedModel) async throws -> T) async throws -> T {
        let served = try find(name, version: version)
        defer { served.end() }
        return try await body(served)
    }

    private func find(_ name: String?, version: String?) throws -> ServedModel {
        lock.lock()
        defer { lock.unlock() }
        guard let name = name ?? models.keys.sorted().first, let model = models[name] else {
            throw ServingError.notFound("no model \"\(name ?? "")\"; this server serves \(quotedNames)")
        }
        guard let newest = RepositoryLayout.newest(model.versions.keys) else {
            let why = model.unloaded ? "is unloaded; load it with POST /v2/repository/models/\(name)/load" : "is not loaded: \(model.problem ?? "no checkpoint")"
            throw ServingError(.serviceUnavailable, "model \"\(name)\" \(why)")
        }
        let chosen = version ?? newest
        guard let served = model.versions[chosen] else {
            throw ServingError.notFound("model \"\(name)\" has no version \"\(chosen)\"; it has \(Self.quoted(model.versions.keys))")
        }
        served.begin()
        return served
    }

    /// The versions of `name` in service, oldest first.
    func versions(of name: String) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return (models[name]?.versions.keys).map { $0.sorted { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) } } ?? []
    }

    /// The model names, in order.
    var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return models.keys.sorted()
    }

    private var quotedNames: String { Self.quoted(models.keys) }

    private static func quoted(_ names: some Collection<String>) -> String {
        names.sorted { (UInt64($0) ?? 0, $0) < (UInt64($1) ?? 0, $1) }.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// Triton's repository index: every loaded version `READY` (`UNAVAILABLE` while the server
    /// drains), a model with none `UNAVAILABLE` with the reason; only the ready ones if asked.
    /// A version whose replacement failed to load stays `READY`, with the failure as its reason.
    func index(serverReady: Bool, readyOnly: Bool) -> [TritonModelRepository.IndexEntry] {
        lock.lock()
        defer { lock.unlock() }
        var entries: [TritonModelRepository.IndexEntry] = []
        for (name, model) in models.sorted(by: { $0.key < $1.key }) {
            for version in model.versions.keys.sorted(by: { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }) {
                // A replacement that failed to load: the version loaded before still serves.
                let failure = model.failed[version].map { _ in "\(model.problem ?? "the replacement did not load"); the checkpoint loaded before serves" }
                entries.append(.init(name: name, version: version, state: serverReady ? "READY" : "UNAVAILABLE",
                                     reason: serverReady ? failure : "the server is shutting down"))
            }
            if model.versions.isEmpty {
                entries.append(.init(name: name, version: nil, state: "UNAVAILABLE", reason: model.unloaded ? "unloaded" : model.problem))
            }
        }
        return readyOnly ? entries.filter { $0.state == "READY" } : entries
    }

    /// Triton's statistics of every loaded version of `name` (nil: of every model).
    func statisticsSnapshot(_ name: String?, version: String?) throws -> [InferenceStatistics.ModelStatistics] {
        if let name {
            return [try find(name, version: version)].map { served in
                defer { served.end() }
                return served.statistics.snapshot(name: served.name, version: served.version)
            }
        }
        lock.lock()
        defer { lock.unlock() }
        return models.sorted(by: { $0.key < $1.key }).flatMap { name, model in
            model.versions.values.sorted { (UInt64($0.version) ?? 0) < (UInt64($1.version) ?? 0) }.map { $0.statistics.snapshot(name: name, version: $0.version) }
        }
    }

    /// Triton's load: reads the model's files again and serves them (a model that is loaded is
    /// reloaded). 404 for a name with no files, 400 naming the file that does not load.
    func load(_ name: String) throws {
        changing.lock()
        defer { changing.unlock() }
        guard let found = layout.scan()[name] else {
            throw ServingError.notFound("no model \"\(name)\" in the repository; it has \(Self.quoted(layout.scan().keys))")
        }
        lock.lock()
        models[name, default: Model()].unloaded = false
        models[name]?.failed = [:]
        lock.unlock()
        synchronise(name, with: found)
        lock.lock()
        defer { lock.unlock() }
        if let problem = models[name]?.problem { throw ServingError.badRequest("model \"\(name)\" did not load: \(problem)") }
    }

    /// Triton's unload: the model leaves service (requests that found it are still answered)
    /// and stays out until loaded again.
    func unload(_ name: String) throws {
        changing.lock()
        defer { changing.unlock() }
        lock.lock()
        guard var model = models[name] else {
            lock.unlock()
            throw ServingError.notFound("no model \"\(name)\"; this server serves \(quotedNames)")
        }
        let retiring = Array(model.versions.values)
        model.versions = [:]
        model.unloaded = true
        models[name] = model
        lock.unlock()
        retiring.forEach { $0.retire() }
        logger.info("unloaded model \"\(name)\"")
    }

    /// Brings the model `name` in line with its files: new and changed versions loaded and
    /// swapped in, versions gone from disk retired. Called with `changing` held.
    private func synchronise(_ name: String, with found: RepositoryLayout.Found) {
        lock.lock()
        let current = models[name] ?? Model()
        lock.unlock()
        guard !current.unloaded else { return }
        var problem = found.problem
        var failed = current.failed
        var loaded: [String: ServedModel] = [:]
        for (version, path) in found.versions {
            guard let file = CheckpointFile.at(path) else { continue }
            if current.versions[version]?.file == file || failed[version] == file { continue }
            do {
                let model = try TrainedModel(checkpoint: try Checkpoint.read(URL(fileURLWithPath: path)))
                loaded[version] = ServedModel(name: name, version: version, model: model, file: file, settings: settings, metrics: metrics,
                                              statistics: statistics(of: name, version))
                failed[version] = nil
            } catch {
                failed[version] = file
                problem = "\(path): \(error)"
                logger.warning("model \"\(name)\" version \(version): \(path) did not load (\(error)); \(current.versions[version] == nil ? "not served" : "the one loaded before stays in service")")
            }
        }
        lock.lock()
        var model = models[name] ?? Model()
        var retiring: [ServedModel] = []
        for (version, served) in loaded {
            if let old = model.versions.updateValue(served, forKey: version) { retiring.append(old) }
        }
        for (version, served) in model.versions where found.versions[version] == nil {
            model.versions[version] = nil
            retiring.append(served)
        }
        model.failed = failed.filter { found.versions[$0.key] != nil }
        model.problem = model.failed.isEmpty ? found.problem : problem
        models[name] = model
        lock.unlock()
        retiring.forEach { $0.retire() }
        for (version, served) in loaded.sorted(by: { $0.key < $1.key }) {
            logger.info("serving model \"\(name)\" version \(version) from \(served.file.path)")
        }
    }

    /// One poll: every model's files compared with what is loaded; models gone from disk leave.
    func refresh() {
        changing.lock()
        defer { changing.unlock() }
        let found = layout.scan()
        for (name, model) in found.sorted(by: { $0.key < $1.key }) { synchronise(name, with: model) }
        lock.lock()
        let gone = models.filter { found[$0.key] == nil }
        for name in gone.keys { models[name] = nil }
        lock.unlock()
        gone.values.flatMap(\.versions.values).forEach { $0.retire() }
    }

    /// The statistics of a version, kept across swaps of its file.
    private func statistics(of name: String, _ version: String) -> InferenceStatistics {
        lock.lock()
        defer { lock.unlock() }
        let key = name + "/" + version
        if let existing = statisticsByVersion[key] { return existing }
        let created = InferenceStatistics()
        statisticsByVersion[key] = created
        return created
    }

    /// Starts polling the files, unless `repositoryPollMilliseconds` is 0.
    func startPolling() {
        guard settings.repositoryPollMilliseconds > 0 else { return }
        let interval = Double(settings.repositoryPollMilliseconds) / 1000
        let thread = Thread { [self] in
            Thread.current.name = "mpw-repository"
            while true {
                pollerState.lock()
                let deadline = Date(timeIntervalSinceNow: interval)
                while !pollerStopped && Date() < deadline { _ = pollerState.wait(until: deadline) }
                let stopped = pollerStopped
                pollerState.unlock()
                if stopped { return }
                refresh()
            }
        }
        poller = thread
        thread.start()
    }

    /// Stops polling and every model's batcher, once the requests in flight are answered.
    func stop() {
        pollerState.lock()
        pollerStopped = true
        pollerState.broadcast()
        pollerState.unlock()
        changing.lock()
        defer { changing.unlock() }
        lock.lock()
        let serving = models.values.flatMap(\.versions.values)
        models = models.mapValues { Model(unloaded: $0.unloaded, problem: $0.problem) }
        lock.unlock()
        serving.forEach { $0.batcher.stop() }
    }
}

/// A repository that cannot start: the one-line reason, naming the file or folder.
public struct RepositoryError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
