import NN
import Testing
import Tensors

/// `Module.freeze` (a frozen weight gets no gradient and leaves the optimizer's set, its value
/// untouched by a step) and key remapping when loading a state dict.
@Suite struct FreezeAndRenamingTests {
    static func twoLayers(_ generator: inout RandomGenerator) -> (Sequential, Linear, Linear) {
        let first = Linear(4, 3, generator: &generator), second = Linear(3, 2, generator: &generator)
        return (Sequential(first, second), first, second)
    }

    @Test func aFrozenLayerGetsNoGradientAndNoUpdate() {
        var generator = RandomGenerator(seed: 1)
        let (model, first, second) = Self.twoLayers(&generator)
        first.freeze()
        #expect(model.trainableParameters.count == 2)
        #expect(model.namedParameters(includingBuffers: false).map(\.name) == ["1.weight", "1.bias"])
        let before = first.weight.value.scalars
        let optimizer = SGD(model: model, learningRate: 0.1, momentum: 0.9)
        let x = Tensor.randomNormal([5, 4], generator: &generator)
        model(x).sum().backward()
        #expect(first.weight.gradient == nil && first.bias?.gradient == nil)
        #expect(second.weight.gradient != nil)
        optimizer.step()
        #expect(first.weight.value.scalars == before)
        first.unfreeze()
        #expect(model.trainableParameters.count == 4)
        model.clearGradients()
        model(x).sum().backward()
        #expect(first.weight.gradient != nil)
    }

    @Test func keysAreRenamedOrLeftOutOnLoad() throws {
        var generator = RandomGenerator(seed: 2)
        let (model, _, _) = Self.twoLayers(&generator)
        let (source, _, _) = Self.twoLayers(&generator)
        var foreign = Dictionary(uniqueKeysWithValues: source.stateDict().map { ("encoder.\($0.name)", $0.value) })
        foreign["encoder.extra"] = Tensor.zeros([1])
        #expect(throws: StateDictError.self) { try model.load(stateDict: foreign) }
        try model.load(stateDict: foreign) { key in key == "encoder.extra" ? nil : String(key.dropFirst("encoder.".count)) }
        #expect(model.stateDict().map(\.value.scalars) == source.stateDict().map(\.value.scalars))
        // Two keys renamed onto one name: refused, nothing loaded.
        #expect(throws: StateDictError.self) { try model.load(stateDict: foreign) { _ in "0.weight" } }
    }
}
