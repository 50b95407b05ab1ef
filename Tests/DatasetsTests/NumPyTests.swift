import Datasets
import Foundation
import Testing
import TestSupport

@Suite struct NumPyTests {
    func array(_ bytes: [UInt8]) throws -> NumPyArray {
        try NumPyArray(bytes: bytes, path: "test.npy")
    }

    @Test func readsUInt8InCOrderWithAVersion1Header() throws {
        let data: [UInt8] = Array(0..<24)
        let parsed = try array(Fixtures.npy(descriptor: "|u1", shape: [2, 3, 4], data: data))
        #expect(parsed.shape == [2, 3, 4])
        #expect(parsed.elementType == .uint8)
        #expect(try parsed.uint8s() == data)
    }

    @Test func fortranOrderIsReorderedToCOrder() throws {
        // The 2x3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column.
        let columnMajor: [Float] = [0, 3, 1, 4, 2, 5]
        let parsed = try array(Fixtures.npy(descriptor: "<f4", shape: [2, 3], fortranOrder: true,
                                            data: Fixtures.bytes(of: columnMajor), version: 2))
        #expect(try parsed.floats() == [0, 1, 2, 3, 4, 5])
        // Rank 3: element (i, j, k) at Fortran offset i + 2j + 6k.
        var fortran = [Double](repeating: 0, count: 24)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { fortran[i + 2 * j + 6 * k] = Double(100 * i + 10 * j + k) } } }
        let cube = try array(Fixtures.npy(descriptor: "<f8", shape: [2, 3, 4], fortranOrder: true, data: Fixtures.bytes(of: fortran)))
        var expected: [Double] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected.append(Double(100 * i + 10 * j + k)) } } }
        #expect(try cube.doubles() == expected)
    }

    @Test func readsInt64Float64BigEndianAndVersion3() throws {
        let int64 = try array(Fixtures.npy(descriptor: "<i8", shape: [3], data: Fixtures.littleEndianBytes([Int64(-5), 7, 1 << 40])))
        #expect(try int64.integers() == [-5, 7, 1 << 40])
        let doubles: [Double] = [1.5, -2.25]
        let float64 = try array(Fixtures.npy(descriptor: "<f8", shape: [2], data: Fixtures.bytes(of: doubles), version: 3))
        #expect(try float64.doubles() == doubles)
        let bigEndian = try array(Fixtures.npy(descriptor: ">i4", shape: [2], data: [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE]))
        #expect(try bigEndian.integers() == [258, -2])
        let scalar = try array(Fixtures.npy(descriptor: "<f4", shape: [], data: Fixtures.bytes(of: [Float(3)])))
        #expect(scalar.shape == [])
        #expect(try scalar.floats() == [3])
    }

    @Test func badFilesThrowWithTheirOffset() throws {
        let good = Fixtures.npy(descriptor: "|u1", shape: [2, 2], data: [1, 2, 3, 4])
        var wrongMagic = good
        wrongMagic[1] = UInt8(ascii: "X")
        #expect(throws: DatasetError(.malformed, path: "test.npy", byteOffset: 0, "not a .npy file (wrong magic number)")) {
            try array(wrongMagic)
        }
        let truncated = try #require(throws: DatasetError.self) { try array(Array(good.dropLast())) }
        #expect(truncated.kind == .truncated && truncated.byteOffset == good.count - 1)
        let cutHeader = try #require(throws: DatasetError.self) { try array(Array(good.prefix(40))) }
        #expect(cutHeader.kind == .truncated)
        let unsupported = try #require(throws: DatasetError.self) {
            try array(Fixtures.npy(descriptor: "<c16", shape: [1], data: Array(repeating: 0, count: 16)))
        }
        #expect(unsupported.kind == .unsupported)
        let badHeader = try #require(throws: DatasetError.self) {
            try array(Fixtures.npy(descriptor: "|u1", shape: [2], data: [1, 2]).map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "=") : $0 })
        }
        #expect(badHeader.kind == .malformed && badHeader.byteOffset != nil)
        #expect(throws: DatasetError.self) { try array(good).floats() }
        #expect(throws: DatasetError.self) { try NumPyArray(contentsOf: "/nonexistent/file.npy") }
    }
}
