/// A restricted, symbolic unpickler for what `torch.save` writes: protocol 2 (and the few later
/// opcodes of protocols 3-5 that carry plain data). It never imports or calls anything; the
/// globals of `TorchGlobal` build inert records and every other global is an error. Memo, stack,
/// mark and nesting sizes are capped (`PickleLimits`).
struct PickleMachine {
    private var cursor: ByteCursor
    private let limits: PickleLimits
    private var stack: [PickleValue] = []
    /// Stack heights at each open MARK.
    private var marks: [Int] = []
    private var memo: [UInt32: PickleValue] = [:]
    /// Storages seen so far by key: a key names one storage, whatever tensors view it.
    private(set) var storages: [String: StorageReference] = [:]

    private init(bytes: [UInt8], path: String, context: String, offset: Int, limits: PickleLimits) {
        cursor = ByteCursor(bytes, path: path, context: context, offset: offset)
        self.limits = limits
    }

    /// Runs the pickle starting at `offset` to its STOP, hands the result and the end offset to
    /// `body`, then frees every value the machine made (iteratively: see `PickleTeardown`).
    static func evaluate<Result>(_ bytes: [UInt8], path: String, context: String, offset: Int = 0, limits: PickleLimits = .standard,
                                 _ body: (_ root: PickleValue, _ end: Int, _ storages: [String: StorageReference]) throws -> Result) throws -> Result {
        var machine = PickleMachine(bytes: bytes, path: path, context: context, offset: offset, limits: limits)
        defer { PickleTeardown.release(machine.stack + Array(machine.memo.values)) }
        let root = try machine.run()
        defer { PickleTeardown.release([root]) }
        return try body(root, machine.cursor.offset, machine.storages)
    }

    private func failure(_ reason: String, at position: Int? = nil) -> TorchFormatError {
        cursor.failure("\(reason) at byte \(position ?? cursor.offset)")
    }

    // MARK: Stack

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.stackItems else { throw failure("more than \(limits.stackItems) items on the pickle stack") }
        guard value.depth <= limits.nesting else { throw failure("values nested deeper than \(limits.nesting) levels") }
        stack.append(value)
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw failure("pickle stack underflow") }
        return stack.removeLast()
    }

    private mutating func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw failure("pickle stack underflow") }
        return stack[stack.count - 1]
    }

    /// The items above the last mark, which is removed.
    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw failure("no MARK to pop to") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private mutating func string(_ count: Int) throws -> String {
        guard count <= cursor.remaining else { throw failure("string of \(count) bytes runs past the end") }
        return String(decoding: try cursor.take(count), as: UTF8.self)
    }

    private mutating func length(_ bytes: Int) throws -> Int {
        let value = try cursor.unsigned(bytes)
        guard value <= UInt64(cursor.remaining) else { throw failure("a length of \(value) bytes runs past the end") }
        return Int(value)
    }

    private mutating func line() throws -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try cursor.byte()
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            guard bytes.count < 256 else { throw failure("a GLOBAL name longer than 256 bytes") }
            bytes.append(byte)
        }
    }

    private mutating func memoize(_ index: UInt32) throws {
        let value = try top()
        guard memo[index] != nil || memo.count < limits.memoEntries else {
            throw failure("more than \(limits.memoEntries) memo entries")
        }
        memo[index] = value
    }

    private mutating func recall(_ index: UInt32) throws {
        guard let value = memo[index] else { throw failure("memo entry \(index) is read before it is written") }
        try push(value)
    }

    // MARK: The opcode loop

    private mutating func run() throws -> PickleValue {
        while true {
            let position = cursor.offset
            let opcode = try cursor.byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try cursor.byte()
                guard version <= 5 else { throw failure("pickle protocol \(version) is unknown", at: position) }
            case 0x95: _ = try cursor.take(8)  // FRAME: a length hint only
            case 0x2E:  // STOP
                guard marks.isEmpty, stack.count == 1 else { throw failure("STOP with \(stack.count) values and \(marks.count) open marks", at: position) }
                return stack.removeLast()
            case 0x28:  // MARK
                guard marks.count < limits.nesting else { throw failure("marks nested deeper than \(limits.nesting) levels", at: position) }
                marks.append(stack.count)
            case 0x30:  // POP (of the mark itself when its frame is empty, as CPython)
                if let mark = marks.last, stack.count == mark { marks.removeLast() } else { _ = try pop() }
            case 0x31: _ = try popToMark()  // POP_MARK
            case 0x32: try push(try top())  // DUP
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A: try push(.int(Int64(try cursor.int32())))  // BININT
            case 0x4B: try push(.int(Int64(try cursor.byte())))  // BININT1
            case 0x4D: try push(.int(Int64(try cursor.unsigned(2))))  // BININT2
            case 0x8A: try push(try integer(Array(try cursor.take(length(1)))))  // LONG1
            case 0x8B:  // LONG4
                let count = Int(try cursor.int32())
                guard count >= 0 else { throw failure("negative LONG4 length", at: position) }
                try push(try integer(Array(try cursor.take(count))))
            case 0x47: try push(.float(Double(bitPattern: try cursor.take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))  // BINFLOAT, big-endian
            case 0x58: try push(.string(try string(length(4))))  // BINUNICODE
            case 0x8C: try push(.string(try string(length(1))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try string(length(8))))  // BINUNICODE8
            case 0x54: try push(.string(try string(length(4))))  // BINSTRING (Python 2 str)
            case 0x55: try push(.string(try string(length(1))))  // SHORT_BINSTRING
            case 0x42: try push(.bytes(Array(try cursor.take(length(4)))))  // BINBYTES
            case 0x43: try push(.bytes(Array(try cursor.take(length(1)))))  // SHORT_BINBYTES
            case 0x8E: try push(.bytes(Array(try cursor.take(length(8)))))  // BINBYTES8
            case 0x29: try push(.tuple(PickleTuple([])))  // EMPTY_TUPLE
            case 0x74: try push(.tuple(PickleTuple(try popToMark())))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0..<Int(opcode - 0x84) { items.insert(try pop(), at: 0) }
                try push(.tuple(PickleTuple(items)))
            case 0x5D: try push(.list(PickleList()))  // EMPTY_LIST
            case 0x6C:  // LIST
                let list = PickleList()
                for item in try popToMark() { list.append(item) }
                try push(.list(list))
            case 0x61:  // APPEND
                let item = try pop()
                try append([item], at: position)
            case 0x65: try append(try popToMark(), at: position)  // APPENDS
            case 0x7D: try push(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64:  // DICT
                let dict = PickleDict()
                try setItems(try popToMark(), in: dict, at: position)
                try push(.dict(dict))
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                guard case .dict(let dict) = try top() else { throw failure("SETITEM on a \(try top().typeName)", at: position) }
                try setItems([key, value], in: dict, at: position)
            case 0x75:  // SETITEMS
                let items = try popToMark()
                guard case .dict(let dict) = try top() else { throw failure("SETITEMS on a \(try top().typeName)", at: position) }
                try setItems(items, in: dict, at: position)
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                try push(.global(try global(module: module, name: name, at: position)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw failure("STACK_GLOBAL needs two strings", at: position)
                }
                try push(.global(try global(module: module, name: name, at: position)))
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                guard case .tuple(let tuple) = arguments else { throw failure("REDUCE arguments are a \(arguments.typeName), not a tuple", at: position) }
                try push(try call(callable, tuple.items, at: position))
            case 0x81:  // NEWOBJ
                let arguments = try pop(), type = try pop()
                guard case .tuple(let tuple) = arguments else { throw failure("NEWOBJ arguments are a \(arguments.typeName), not a tuple", at: position) }
                try push(try instantiate(type, tuple.items, at: position))
            case 0x62:  // BUILD
                let state = try pop()
                try build(try top(), state: state, at: position)
            case 0x71: try memoize(UInt32(try cursor.byte()))  // BINPUT
            case 0x72: try memoize(UInt32(try cursor.unsigned(4)))  // LONG_BINPUT
            case 0x94: try memoize(UInt32(truncatingIfNeeded: memo.count))  // MEMOIZE
            case 0x68: try recall(UInt32(try cursor.byte()))  // BINGET
            case 0x6A: try recall(UInt32(try cursor.unsigned(4)))  // LONG_BINGET
            case 0x51: try push(.storage(try persistentLoad(try pop(), at: position)))  // BINPERSID
            default:
                throw failure("unsupported pickle opcode 0x\(String(opcode, radix: 16, uppercase: true))", at: position)
            }
        }
    }

    /// Little-endian two's-complement bytes: an Int64 when it fits.
    private func integer(_ bytes: [UInt8]) throws -> PickleValue {
        guard bytes.count <= 8 else { return .bigInt(bytes) }
        guard let last = bytes.last else { return .int(0) }
        var value = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if last & 0x80 != 0 && bytes.count < 8 { value |= ~UInt64(0) << (8 * UInt64(bytes.count)) }
        return .int(Int64(bitPattern: value))
    }

    private mutating func append(_ items: [PickleValue], at position: Int) throws {
        guard case .list(let list) = try top() else { throw failure("APPEND to a \(try top().typeName)", at: position) }
        for item in items {
            guard item.depth < limits.nesting else { throw failure("values nested deeper than \(limits.nesting) levels", at: position) }
            list.append(item)
        }
    }

    private func setItems(_ items: [PickleValue], in dict: PickleDict, at position: Int) throws {
        guard items.count % 2 == 0 else { throw failure("an odd number of items for a dict", at: position) }
        for pair in stride(from: 0, to: items.count, by: 2) {
            guard max(items[pair].depth, items[pair + 1].depth) < limits.nesting else {
                throw failure("values nested deeper than \(limits.nesting) levels", at: position)
            }
            dict.set(items[pair], items[pair + 1])
        }
    }

    private func global(module: String, name: String, at position: Int) throws -> TorchGlobal {
        guard let global = TorchGlobal(module: module, name: name) else {
            throw failure("refusing global \(module).\(name): not something torch.save writes for tensors", at: position)
        }
        return global
    }

    // MARK: The known callables

    private mutating func call(_ callable: PickleValue, _ arguments: [PickleValue], at position: Int) throws -> PickleValue {
        guard case .global(let global) = callable else { throw failure("REDUCE calls a \(callable.typeName)", at: position) }
        switch global {
        case .rebuildTensor:
            return .tensor(try rebuildTensor(arguments, at: position))
        case .rebuildParameter, .rebuildParameterWithState:
            guard arguments.count >= 3, case .tensor = arguments[0] else { throw failure("\(global.qualifiedName) needs a tensor", at: position) }
            return arguments[0]
        case .orderedDict:
            let dict = PickleDict()
            if let pairs = arguments.first {
                guard arguments.count == 1, case .list(let list) = pairs else { throw failure("OrderedDict takes a list of pairs", at: position) }
                for pair in list.items {
                    guard case .tuple(let tuple) = pair, tuple.items.count == 2 else { throw failure("OrderedDict takes a list of pairs", at: position) }
                    dict.set(tuple.items[0], tuple.items[1])
                }
            }
            return .dict(dict)
        case .encode:
            guard arguments.count == 2, case .string(let text) = arguments[0], case .string("latin1") = arguments[1] else {
                throw failure("_codecs.encode takes a string and 'latin1'", at: position)
            }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value <= 0xFF else { throw failure("_codecs.encode of a string beyond latin-1", at: position) }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case .plainRecord(let name):
            return .object(PickleObject(className: name, arguments: arguments))
        case .storageType:
            throw failure("\(global.qualifiedName) is called directly", at: position)
        }
    }

    private func instantiate(_ type: PickleValue, _ arguments: [PickleValue], at position: Int) throws -> PickleValue {
        switch type {
        case .global(.plainRecord(let name)): return .object(PickleObject(className: name, arguments: arguments))
        case .global(.orderedDict) where arguments.isEmpty: return .dict(PickleDict())
        default: throw failure("NEWOBJ of \(type.typeName)", at: position)
        }
    }

    private func build(_ target: PickleValue, state: PickleValue, at position: Int) throws {
        guard state.depth < limits.nesting else { throw failure("values nested deeper than \(limits.nesting) levels", at: position) }
        switch target {
        case .object(let object): object.build(state)
        // OrderedDict attributes (a state dict's `_metadata` of module versions): not part of the data.
        case .dict: break
        default: throw failure("BUILD on a \(target.typeName)", at: position)
        }
    }

    private mutating func persistentLoad(_ id: PickleValue, at position: Int) throws -> StorageReference {
        guard case .tuple(let tuple) = id, tuple.items.count == 5 || tuple.items.count == 6,
              case .string("storage") = tuple.items[0],
              case .global(.storageType(let dtype)) = tuple.items[1],
              case .string(let key) = tuple.items[2],
              case .int(let count) = tuple.items[4] else {
            throw failure("a persistent id that is not ('storage', type, key, location, numel)", at: position)
        }
        guard count >= 0, count <= Int64(Int.max / 8) else { throw failure("storage \(key) has \(count) elements", at: position) }
        var reference = StorageReference(key: key, dtype: dtype, elementCount: Int(count), viewOffset: 0)
        if let known = storages[key] {
            guard known.dtype == dtype, known.elementCount == reference.elementCount else {
                throw failure("storage \(key) is named as \(known.dtype) x \(known.elementCount) and as \(dtype) x \(count)", at: position)
            }
        } else {
            storages[key] = reference
        }
        // Legacy files may name a view (view key, offset, size) of the storage.
        if tuple.items.count == 6, case .tuple(let view) = tuple.items[5] {
            guard view.items.count == 3, case .int(let offset) = view.items[1], case .int(let size) = view.items[2],
                  offset >= 0, size >= 0, offset <= count, size <= count - offset else {
                throw failure("storage \(key) has an invalid view", at: position)
            }
            reference = StorageReference(key: key, dtype: dtype, elementCount: Int(size), viewOffset: Int(offset))
        }
        return reference
    }

    private func rebuildTensor(_ arguments: [PickleValue], at position: Int) throws -> TensorRecord {
        guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
              case .tuple(let sizes) = arguments[2], case .tuple(let strides) = arguments[3] else {
            throw failure("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)", at: position)
        }
        func integers(_ tuple: PickleTuple) throws -> [Int] {
            try tuple.items.map {
                guard case .int(let value) = $0, value >= 0, value <= Int64(Int32.max) * 64 else {
                    throw failure("a tensor size or stride that is not a small non-negative integer", at: position)
                }
                return Int(value)
            }
        }
        let shape = try integers(sizes), stride = try integers(strides)
        guard shape.count == stride.count, shape.count <= limits.dimensions else {
            throw failure("a tensor with \(shape.count) sizes and \(stride.count) strides", at: position)
        }
        guard offset >= 0, offset <= Int64(storage.elementCount) else {
            throw failure("a tensor at offset \(offset) of a \(storage.elementCount)-element storage", at: position)
        }
        var count = 1, last = Int(offset)
        for (size, step) in zip(shape, stride) {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw failure("a tensor of shape \(shape) is impossibly large", at: position) }
            count = product
            guard size > 0 else { continue }
            let (reach, overflowReach) = (size - 1).multipliedReportingOverflow(by: step)
            let (end, overflowEnd) = last.addingReportingOverflow(reach)
            guard !overflowReach, !overflowEnd else { throw failure("a tensor of shape \(shape), strides \(stride) is impossibly large", at: position) }
            last = end
        }
        guard count == 0 || last < storage.elementCount else {
            throw failure("a tensor of shape \(shape), strides \(stride), offset \(offset) reaches element \(last) of a \(storage.elementCount)-element storage \(storage.key)", at: position)
        }
        return TensorRecord(storage: storage, offset: Int(offset), shape: shape, strides: stride)
    }
}
