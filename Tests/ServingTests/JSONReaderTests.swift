import Foundation
import Testing
import Tensors
import TestSupport
@testable import Serving

/// The request parser: every JSON number reads as the standard library's correctly rounded
/// parser reads it (0 and 1 included), tensor data flattens, and malformed or hostile bodies fail
/// with an offset instead of trapping.
@Suite struct JSONReaderTests {
    @Test func numbersReadExactlyAsTheStandardLibraryReadsThem() throws {
        var generator = RandomGenerator(seed: 11)
        var texts = ["0", "1", "-0", "0.0", "1.0", "-1", "1e0", "1E+2", "2.5e-3", "123456789012345678901234567890", "0.1", "3.4028235e38",
                     "1.17549435e-38", "4.9e-324", "1.7976931348623157e308", "9007199254740993", "0.000000000000000000000000001"]
        for _ in 0..<5000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (generator.nextInt(below: 2) == 0 ? 1 : -1)
            texts.append("\(value)")
            texts.append("\(Float(generator.nextInt(below: 1 << 24)) / Float(1 << generator.nextInt(below: 30)))")
        }
        for text in texts {
            let expected = try #require(Double(text), "\(text)")
            guard case .array(let elements) = try JSONReader.parse(Array("[\(text)]".utf8)), case .number(let read) = elements.first else {
                Issue.record("\(text) did not parse as a number")
                continue
            }
            #expect(read.bitPattern == expected.bitPattern, "\(text): read \(read), expected \(expected)")
        }
    }

    @Test func tensorDataFlattensWithZerosAndOnesAsNumbers() throws {
        let body = #"{"id": "a\"b\u00e9\ud83d\ude00", "inputs": [{"data": [[0, 1], [0.0, 1.0], [-0, 1e0]], "shape": [3, 2]}], "flag": true, "none": null}"#
        let value = try JSONReader.parse(Array(body.utf8), tensorKeys: ["data"])
        #expect(value["id"]?.string == "a\"bé😀" && value["flag"]?.bool == true)
        let input = try #require(value["inputs"]?.array?.first)
        guard case .numbers(let numbers) = input["data"] else {
            Issue.record("data is not a numeric array: \(String(describing: input["data"]))")
            return
        }
        #expect(numbers == [0, 1, 0, 1, 0, 1])
        #expect(input["shape"]?.array?.map(\.integer) == [3, 2])
        // A tensor key holding something else is parsed as ordinary JSON.
        let mixed = try JSONReader.parse(Array(#"{"data": [1, "two", [3]]}"#.utf8), tensorKeys: ["data"])
        #expect(mixed["data"]?.array?.count == 3)
    }

    @Test func malformedAndHostileBodiesFailWithAnOffset() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let deepTensor = #"{"data": "# + deep + "}"
        for body in ["", "{", "[1,]", #"{"a":1,}"#, "01", "[1.]", "[1e]", "[-]", "[.5]", "[+1]", "[NaN]", "[Infinity]", "[0x10]", "[1] 2", "tru",
                     #""unterminated"#, "\"tab\there\"", #""\x""#, #""\ud800\u0041""#, deep, deepTensor] {
            #expect(throws: JSONReader.Failure.self, "\(body.prefix(40))") { try JSONReader.parse(Array(body.utf8), tensorKeys: ["data"]) }
        }
    }

    @Test func inferenceRequestsAcceptEveryNumberAndCheckTheRest() throws {
        let shape = (channels: 1, height: 2, width: 2)
        func decode(_ data: String, shape declared: String = "[1,1,2,2]") throws -> KServeProtocol.InferRequest {
            try KServeProtocol.decode(Array(#"{"inputs":[{"name":"input","shape":\#(declared),"datatype":"FP32","data":\#(data)}]}"#.utf8),
                                      inputShape: shape, maxImages: 4)
        }
        #expect(try decode("[0,0,0,0]").values == [0, 0, 0, 0])
        #expect(try decode("[1,1,1,1]").values == [1, 1, 1, 1])
        #expect(try decode("[[[[0.0,1.0],[1,0]]]]").values == [0, 1, 1, 0])
        #expect(try decode("[0,1,0,1,0,1,0,1]", shape: "[2,1,2,2]").count == 2)
        for (data, declared) in [("[0,0,0]", "[1,1,2,2]"), ("[0,0,0,0,0]", "[1,1,2,2]"), ("[true,0,0,0]", "[1,1,2,2]"), ("[1e39,0,0,0]", "[1,1,2,2]"),
                                 ("[0,0,0,0]", "[1,1,2,2.5]"), ("[0,0,0,0]", "[1,1,2,1e300]")] {
            #expect(throws: ServingError.self, "\(data) \(declared)") { try decode(data, shape: declared) }
        }
    }
}
