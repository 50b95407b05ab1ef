/// What the compiler targeted when it built this module, read back from its own machine code.
///
/// Swift has no `#if` on target features, and `-target-cpu native` is a command-line flag the
/// package cannot see, so the check looks at the code it caused: one function computing a fused
/// multiply-add. Built for a CPU with FMA (what `-target-cpu native` gives on any x86 CPU of the
/// last decade) it is a single `vfmadd*ss` instruction; built for baseline x86-64 it moves the
/// operands and jumps to libm's `fmaf`, the call that makes the MPW head 9-15x slower.
public enum CompiledTarget {
    public enum FusedMultiplyAdd: String, Sendable, Codable {
        /// A vfmadd instruction inline: the build targeted the CPU (x86 with -target-cpu native or similar).
        case inline
        /// A call to libm's fmaf: built for baseline x86-64, without -target-cpu.
        case libraryCall = "library-call"
        /// The architecture always has FMA (arm64), so no flag is needed.
        case baseline
        /// Machine code this check does not recognise.
        case unknown
    }

    /// How this module's compiled code performs a fused multiply-add.
    public static let fusedMultiplyAdd: FusedMultiplyAdd = {
        #if arch(x86_64)
        let code = unsafeBitCast(fusedProbe, to: UnsafeRawPointer.self)
        return classify(UnsafeRawBufferPointer(start: code, count: 32))
        #elseif arch(arm64)
        return .baseline
        #else
        return .unknown
        #endif
    }()

    /// `#if DEBUG` in SwiftPM's debug configuration.
    public static var optimized: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }

    private static let fusedProbe: @convention(c) (Float, Float, Float) -> Float = { $0.addingProduct($1, $2) }

    /// Reads the probe's first 24 bytes (the function with its frame setup, `vfmadd` and `ret`, or
    /// its operand moves and `jmp fmaf`): a VEX (C4) or EVEX (62) prefix in opcode map 0F38 followed
    /// by a scalar-single FMA opcode (99, A9, B9) means inline FMA; otherwise a call or jump (E8,
    /// E9, FF 15, FF 25) means the libm call. `mpw doctor`'s tests check this against objdump.
    static func classify(_ code: UnsafeRawBufferPointer) -> FusedMultiplyAdd {
        let fmaOpcodes: Set<UInt8> = [0x99, 0xA9, 0xB9]
        let bytes = Array(code.prefix(24))
        for index in bytes.indices.dropLast(4) {
            if bytes[index] == 0xC4, bytes[index + 1] & 0x1F == 0x02, fmaOpcodes.contains(bytes[index + 3]) { return .inline }
            if bytes[index] == 0x62, bytes[index + 1] & 0x07 == 0x02, fmaOpcodes.contains(bytes[index + 4]) { return .inline }
        }
        for index in bytes.indices.dropLast() {
            if bytes[index] == 0xE8 || bytes[index] == 0xE9 || (bytes[index] == 0xFF && [0x15, 0x25].contains(bytes[index + 1])) {
                return .libraryCall
            }
        }
        return .unknown
    }
}
