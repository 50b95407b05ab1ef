#if canImport(CDNNL)
import CDNNL

/// The process-wide oneDNN CPU engine and the plumbing to run primitives on our own buffers.
///
/// Every primitive is created with a user-managed scratchpad, and every execution brings its
/// own memory objects, stream and scratchpad, so the same primitive can run on several threads
/// at once (oneDNN's library-managed scratchpad would make that unsafe).
enum OneDNN {
    final class Engine: @unchecked Sendable {
        let handle: dnnl_engine_t
        init() {
            var engine: dnnl_engine_t?
            OneDNN.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
            handle = engine!
        }
    }

    static let engine = Engine()

    static func check(_ status: dnnl_status_t, _ action: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN failed \(action()) (status \(status.rawValue))")
    }

    /// A plain memory descriptor of `dims` in the layout named by `tag`, float32 unless told.
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> UnsafePointer<dnnl_memory_desc_t> {
        let descriptor = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 1)
        descriptor.initialize(to: dnnl_memory_desc_t())
        let sizes = dims.map(Int64.init)
        check(dnnl_memory_desc_init_by_tag(descriptor, Int32(dims.count), sizes, type, tag), "describing \(dims)")
        return UnsafePointer(descriptor)
    }

    /// Attributes asking for a user-managed scratchpad.
    static func userScratchpadAttributes() -> dnnl_primitive_attr_t {
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "setting the scratchpad mode")
        return attributes!
    }

    /// One primitive and the memory descriptors and scratchpad size it was created for.
    final class Primitive: @unchecked Sendable {
        let descriptor: dnnl_primitive_desc_t
        let primitive: dnnl_primitive_t
        let scratchpadBytes: Int

        init(descriptor: dnnl_primitive_desc_t, _ what: String) {
            self.descriptor = descriptor
            var primitive: dnnl_primitive_t?
            OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "creating the \(what) primitive")
            self.primitive = primitive!
            scratchpadBytes = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0))
        }

        func memoryDescriptor(_ query: dnnl_query_t) -> UnsafePointer<dnnl_memory_desc_t> {
            dnnl_primitive_desc_query_md(descriptor, query, 0)
        }

        /// The implementation oneDNN picked (e.g. "brgconv:avx512_core").
        var implementation: String {
            var name: UnsafePointer<CChar>?
            dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name)
            return name.map { String(cString: $0) } ?? "unknown"
        }

        /// Runs the primitive on the given buffers, each described by its memory descriptor.
        func execute(_ arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)]) {
            var memories: [dnnl_memory_t?] = []
            var execArguments: [dnnl_exec_arg_t] = []
            func bind(_ argument: Int32, _ descriptor: UnsafePointer<dnnl_memory_desc_t>, _ pointer: UnsafeMutableRawPointer) {
                var memory: dnnl_memory_t?
                OneDNN.check(dnnl_memory_create(&memory, descriptor, OneDNN.engine.handle, pointer), "binding argument \(argument)")
                memories.append(memory)
                execArguments.append(dnnl_exec_arg_t(arg: argument, memory: memory))
            }
            for (argument, descriptor, pointer) in arguments { bind(argument, descriptor, UnsafeMutableRawPointer(mutating: pointer)) }
            var scratchpad: UnsafeMutablePointer<Float>?
            let scratchpadCount = (scratchpadBytes + 3) / 4
            if scratchpadBytes > 0 {
                scratchpad = AlignedMemory.allocate(count: scratchpadCount)
                bind(DNNL_ARG_SCRATCHPAD, memoryDescriptor(dnnl_query_scratchpad_md), UnsafeMutableRawPointer(scratchpad!))
            }
            var stream: dnnl_stream_t?
            OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine.handle, dnnl_stream_default_flags.rawValue), "creating a stream")
            OneDNN.check(dnnl_primitive_execute(primitive, stream, Int32(execArguments.count), execArguments), "executing \(implementation)")
            OneDNN.check(dnnl_stream_wait(stream), "waiting for \(implementation)")
            dnnl_stream_destroy(stream)
            for memory in memories { dnnl_memory_destroy(memory) }
            if let scratchpad { AlignedMemory.release(scratchpad, count: scratchpadCount) }
        }
    }

    /// A reorder between two layouts of the same tensor (weights: OIHW to a blocked format and back).
    static func reorder(from source: UnsafePointer<dnnl_memory_desc_t>, to destination: UnsafePointer<dnnl_memory_desc_t>) -> Primitive? {
        if dnnl_memory_desc_equal(source, destination) != 0 { return nil }
        var descriptor: dnnl_primitive_desc_t?
        let attributes = userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_reorder_primitive_desc_create(&descriptor, source, engine.handle, destination, engine.handle, attributes),
              "creating a reorder")
        return Primitive(descriptor: descriptor!, "reorder")
    }
}
#endif
