import Foundation
import Testing
import Tensors
import TestSupport
import TorchFormat

/// Every torch.save file of Tests/Oracles/pth (PyTorch 2.15) reads to exactly its
/// `.expected.safetensors`: the same names, dtypes (F32 or I64), shapes and bits.
@Suite struct TorchOracleTests {
    static let fixtures = ["dtypes.pth", "resnet8_state_dict.pth", "resnet8_legacy.pth", "resnet8_checkpoint.pth.tar",
                           "resnet8_dataparallel.pth", "dtypes_deflated.pth"]

    static func expectedName(_ fixture: String) -> String {
        let stem = fixture.replacingOccurrences(of: ".pth.tar", with: "").replacingOccurrences(of: ".pth", with: "")
        return "pth/" + stem.replacingOccurrences(of: "_deflated", with: "") + ".expected.safetensors"
    }

    static func expectMatches(_ file: SafeTensorsFile, _ expected: SafeTensorsFile, _ label: String) throws {
        #expect(Set(file.entries.keys) == Set(expected.entries.keys), "\(label): names")
        for (name, entry) in expected.entries {
            guard let actual = file.entries[name] else { continue }
            #expect(actual.dtype == entry.dtype && actual.shape == entry.shape, "\(label): \(name) \(actual.dtype) \(actual.shape)")
            if entry.dtype == .int64 {
                #expect(try file.integers(name) == expected.integers(name), "\(label): \(name)")
            } else {
                #expect(try file.floats(name).map(\.bitPattern) == expected.floats(name).map(\.bitPattern), "\(label): \(name)")
            }
        }
    }

    @Test(arguments: fixtures)
    func readsExactlyTheExpectedTensors(_ fixture: String) throws {
        let state = try TorchFile.readStateDict(contentsOf: Oracles.directory.appendingPathComponent("pth/" + fixture))
        let expected = try Oracles.file(Self.expectedName(fixture))
        #expect(state.tensors.count == expected.entries.count)
        let written = try SafeTensorsFile(bytes: state.safeTensors().serialized(), path: fixture)
        try Self.expectMatches(written, expected, fixture)
    }

    @Test func keepsStoredTypesAndSharedStorages() throws {
        let state = try TorchFile.readStateDict(contentsOf: Oracles.directory.appendingPathComponent("pth/dtypes.pth"))
        let types = Dictionary(uniqueKeysWithValues: state.tensors.map { ($0.name, $0.tensor.dtype) })
        #expect(types["f16"] == .float16 && types["bf16"] == .bfloat16 && types["bool"] == .bool && types["u8"] == .uint8)
        let tensors = Dictionary(uniqueKeysWithValues: state.tensors.map { ($0.name, $0.tensor) })
        #expect(tensors["shared_a"] == tensors["f32"])
        #expect(tensors["transposed"]?.shape == [4, 6] && tensors["scalar"]?.shape == [])
    }
}
