/// A value of the symbolic pickle machine. Nothing is ever executed: calls of the few known
/// callables build these records, and containers are shared by reference (as in Python), so a
/// memo entry fetched a thousand times costs one pointer each, never a copy.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// One of the globals the reader knows (see `TorchGlobal`).
    case global(TorchGlobal)
    case storage(StorageReference)
    case tensor(TensorRecord)
    /// An inert record of an allowed plain-data class (argparse.Namespace): its arguments and state.
    case object(PickleObject)

    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return global.qualifiedName
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .object(let object): return object.className
        }
    }

    /// How deeply containers nest below this value (0 for scalars).
    var depth: Int {
        switch self {
        case .tuple(let tuple): return tuple.depth
        case .list(let list): return list.depth
        case .dict(let dict): return dict.depth
        case .object(let object): return object.depth
        default: return 0
        }
    }
}

/// Base of the container records: each knows the nesting depth it was built with, and can drop
/// its children so that `PickleTeardown` frees any graph (deep or cyclic) without recursion.
class PickleContainer {
    var depth: Int
    init(depth: Int) { self.depth = depth }
    func removeChildren() -> [PickleValue] { [] }
}

final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) {
        self.items = items
        super.init(depth: 1 + (items.map(\.depth).max() ?? 0))
    }
    override func removeChildren() -> [PickleValue] { defer { items = [] }; return items }
}

final class PickleList: PickleContainer {
    private(set) var items: [PickleValue] = []
    init() { super.init(depth: 1) }
    func append(_ value: PickleValue) {
        items.append(value)
        depth = max(depth, value.depth + 1)
    }
    override func removeChildren() -> [PickleValue] { defer { items = [] }; return items }
}

/// A dict (or OrderedDict) in insertion order; string and integer keys are indexed, so setting
/// an existing key replaces its value as Python does.
final class PickleDict: PickleContainer {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [Key: Int] = [:]

    private enum Key: Hashable {
        case string(String), int(Int64)
    }

    init() { super.init(depth: 1) }

    private static func key(_ value: PickleValue) -> Key? {
        switch value {
        case .string(let text): return .string(text)
        case .int(let number): return .int(number)
        case .bool(let flag): return .int(flag ? 1 : 0)
        default: return nil
        }
    }

    func set(_ key: PickleValue, _ value: PickleValue) {
        depth = max(depth, key.depth + 1, value.depth + 1)
        if let hashable = Self.key(key) {
            if let position = index[hashable] {
                entries[position].value = value
                return
            }
            index[hashable] = entries.count
        }
        entries.append((key, value))
    }

    subscript(_ key: String) -> PickleValue? {
        index[.string(key)].map { entries[$0].value }
    }

    override func removeChildren() -> [PickleValue] {
        defer { entries = []; index = [:] }
        return entries.flatMap { [$0.key, $0.value] }
    }
}

/// An instance of an allowed plain-data class, kept as data (never constructed).
final class PickleObject: PickleContainer {
    let className: String
    private(set) var arguments: [PickleValue]
    private(set) var state: [PickleValue] = []
    init(className: String, arguments: [PickleValue]) {
        self.className = className
        self.arguments = arguments
        super.init(depth: 1 + (arguments.map(\.depth).max() ?? 0))
    }
    func build(_ value: PickleValue) {
        state.append(value)
        depth = max(depth, value.depth + 1)
    }
    override func removeChildren() -> [PickleValue] { defer { arguments = []; state = [] }; return arguments + state }
}

/// Frees a value graph iteratively: containers hand over their children before they are
/// released, so neither deep nesting nor reference cycles reach Swift's recursive deinit.
enum PickleTeardown {
    static func release(_ roots: [PickleValue]) {
        var pending = roots
        var seen = Set<ObjectIdentifier>()
        while let value = pending.popLast() {
            let container: PickleContainer?
            switch value {
            case .tuple(let tuple): container = tuple
            case .list(let list): container = list
            case .dict(let dict): container = dict
            case .object(let object): container = object
            default: container = nil
            }
            guard let container, seen.insert(ObjectIdentifier(container)).inserted else { continue }
            pending += container.removeChildren()
        }
    }
}
