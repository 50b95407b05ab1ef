import Tensors

/// Copies a tensor view (offset, sizes, strides in elements) out of its storage's little-endian
/// bytes into a contiguous array, converting each element as it goes.
enum StridedGather {
    /// `storage` holds the whole storage; the caller has checked the view lies inside it.
    static func tensor(_ record: TensorRecord, storage: ArraySlice<UInt8>) -> TorchTensor {
        let base = record.storage.viewOffset + record.offset
        let dtype = record.storage.dtype
        return storage.withUnsafeBytes { raw -> TorchTensor in
            func gather<T>(_ load: (Int) -> T) -> [T] { elements(record, base: base, load) }
            let values: TorchTensor.Values
            switch dtype {
            case .float32: values = .floats(gather { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) })
            case .float64: values = .floats(gather { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) })
            case .float16: values = .floats(gather { halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) })
            case .bfloat16: values = .floats(gather { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) })
            case .int64: values = .integers(gather { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) })
            case .int32: values = .integers(gather { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) })
            case .int16: values = .integers(gather { Int64(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) })
            case .int8: values = .integers(gather { Int64(Int8(bitPattern: raw[$0])) })
            case .uint8: values = .integers(gather { Int64(raw[$0]) })
            case .bool: values = .integers(gather { raw[$0] != 0 ? 1 : 0 })
            }
            return TorchTensor(dtype: dtype, shape: record.shape, values: values)
        }
    }

    /// Visits the view's elements in row-major order (`StridedOdometer`).
    private static func elements<T>(_ record: TensorRecord, base: Int, _ load: (Int) -> T) -> [T] {
        let count = record.elementCount
        guard count > 0 else { return [] }
        let shape = record.shape, strides = record.strides
        var result: [T] = []
        result.reserveCapacity(count)
        var expected = 1
        var contiguous = true
        for dimension in shape.indices.reversed() where shape[dimension] > 1 {
            contiguous = contiguous && strides[dimension] == expected
            expected *= shape[dimension]
        }
        if contiguous {
            for index in base..<base + count { result.append(load(index)) }
            return result
        }
        var odometer = StridedOdometer(shape: shape, strides: strides, base: base)
        odometer.forEach(count) { result.append(load($0)) }
        return result
    }

    /// IEEE half to single precision, exactly (subnormals, infinities and NaN included).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0: return sign * Float(mantissa) * 0x1p-24
        case 0x1F: return Float(bitPattern: UInt32(bits & 0x8000) << 16 | 0x7F80_0000 | mantissa << 13)
        default: return Float(bitPattern: UInt32(bits & 0x8000) << 16 | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }
}
