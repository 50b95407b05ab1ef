import Datasets
import Foundation
import Kernels
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw
@testable import Serving

/// `mpw serve` on a loopback port: every route answers as the protocol and `mpw predict` /
/// `mpw explain` do, bad input gets a one-line 4xx and the server keeps serving.
@Suite(.serialized) struct ServingRouteTests {
    /// A test image as the network sees it (preprocessed), written as a JSON array for a Python client.
    static func preprocessedPixels(of image: String, fixture: ServerFixture) throws -> URL {
        let input = try fixture.model.batch([try ImageDecoder.decode(fileAt: image)]).images.scalars
        let file = fixture.root.file("pixels.json")
        try JSONSerialization.data(withJSONObject: input.map(Double.init)).write(to: file)
        return file
    }

    /// A client's last line, "CLASS PROBABILITY" (the class by name, or by index with `byIndex`),
    /// against the top class `mpw predict` gives `image`.
    static func expectTopClassAsOffline(_ output: String, image: String, fixture: ServerFixture, byIndex: Bool = false) throws {
        let offline = try #require(try predictOffline([image], model: fixture.model, top: 1).first?.first)
        let printed = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last?.split(separator: " ") ?? []
        let name = byIndex ? printed.first.flatMap { Int($0) }.map { fixture.model.classNames[$0] } : printed.first.map(String.init)
        #expect(printed.count == 2 && name == offline.name, "\(output)")
        #expect(abs((Double(printed.last ?? "") ?? -1) - offline.probability) <= 1e-6)
    }

    /// `mpw predict --json` on `files`: per file, (class index, probability) in rank order.
    static func predictOffline(_ files: [String], model: TrainedModel, top: Int) throws -> [[(index: Int, name: String, probability: Double)]] {
        var lines: [String] = []
        _ = try PredictCommand.predict(files, model: model, top: top, format: .json, batch: 64, output: { lines.append($0) }, error: { _ in })
        return try lines.map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["predictions"] as? [[String: Any]]).map {
                ($0["index"] as! Int, $0["class"] as! String, $0["probability"] as! Double)
            }
        }
    }

    static func predictions(_ reply: ServerFixture.Reply) throws -> [(index: Int, name: String, probability: Double)] {
        try #require(reply.json["predictions"] as? [[String: Any]]).map { ($0["index"] as! Int, $0["name"] as! String, $0["probability"] as! Double) }
    }

    @Test func healthMetadataPageAndMetricsRoutesAnswer() async throws {
        let fixture = try await ServerFixture()
        #expect(try await fixture.get("/v2/health/live").status == 200)
        #expect(try await fixture.get("/v2/health/ready").json["ready"] as? Bool == true)
        let server = try await fixture.get("/v2")
        #expect(server.json["name"] as? String == "mpw" && server.json["version"] as? String == MPWVersion.string)

        let metadata = try await fixture.get("/v2/models/mpw")
        #expect(metadata.status == 200 && metadata.json["name"] as? String == "mpw")
        let inputs = try #require(metadata.json["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1 && inputs[0]["name"] as? String == "input" && inputs[0]["datatype"] as? String == "FP32")
        #expect(inputs[0]["shape"] as? [Int] == [-1, 3, 32, 32])
        let outputs = try #require(metadata.json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["logits", "probabilities"] && outputs.allSatisfy { $0["shape"] as? [Int] == [-1, 10] })
        #expect(try await fixture.get("/v2/models/mpw/versions/1").status == 200)
        #expect(try await fixture.get("/v2/models/mpw/ready").status == 200)

        for (path, status) in [("/v2/models/other", 404), ("/v2/models/mpw/versions/7", 404), ("/no/such/route", 404)] {
            let reply = try await fixture.get(path)
            #expect(reply.status == status, "\(path)")
            let message = try #require(reply.json["error"] as? String, "\(path) answers \(reply.text)")
            #expect(!message.isEmpty && !message.contains("\n"))
        }

        let page = try await fixture.get("/")
        #expect(page.status == 200 && page.contentType?.hasPrefix("text/html") == true)
        #expect(page.text.contains("/v1/predict") && page.text.contains("/v1/explain") && page.text.contains("resnet20 + mpw, cifar10"))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "the page loads nothing from elsewhere")

        let metrics = try await fixture.get("/metrics")
        #expect(metrics.status == 200 && metrics.contentType?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains(#"mpw_http_requests_total{route="/v2/models/{name}",method="GET",status="200"} 1"#))
        #expect(metrics.text.contains(#"mpw_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(metrics.text.contains("# TYPE mpw_http_request_duration_seconds histogram"))
        #expect(metrics.text.contains(#"mpw_http_requests_total{route="/v2/models/{name}/versions/{version}",method="GET",status="404"} 1"#))
        #expect(metrics.text.contains("# TYPE mpw_batch_size_images histogram") && metrics.text.contains("# TYPE mpw_queue_depth_images gauge"))
        #expect(try await fixture.metric("mpw_queue_depth_images") == 0)
        try await fixture.stop()
    }

    @Test func kserveInferenceAnswersTheModelsLogitsAndPredictsProbabilities() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let decoded = try files.map { try ImageDecoder.decode(fileAt: $0) }
        let input = try fixture.model.batch(decoded).images
        let expected = withoutGradients { fixture.model.model(input) }.scalars

        let body: [String: Any] = ["id": "request-7", "inputs": [["name": "input", "shape": [3, 3, 32, 32], "datatype": "FP32", "data": input.scalars.map(Double.init)]]]
        let reply = try await fixture.postJSON("/v2/models/mpw/infer", body)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.json["model_name"] as? String == "mpw" && reply.json["id"] as? String == "request-7")
        let outputs = try #require(reply.json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["logits", "probabilities"])
        #expect(outputs.allSatisfy { $0["shape"] as? [Int] == [3, 10] && $0["datatype"] as? String == "FP32" })
        let logits = try #require(outputs[0]["data"] as? [Double])
        #expect(logits.count == 30 && zip(logits, expected).allSatisfy { abs($0 - Double($1)) <= 1e-4 * max(1, abs(Double($1))) })

        // The probabilities are mpw predict's, to FP32 precision (the protocol's datatype).
        let probabilities = try #require(outputs[1]["data"] as? [Double])
        let offline = try Self.predictOffline(files, model: fixture.model, top: 10)
        for (image, ranked) in offline.enumerated() {
            for entry in ranked { #expect(abs(probabilities[image * 10 + entry.index] - entry.probability) <= 1e-6) }
        }

        // Nested data, and only the output asked for.
        let nested = (0..<3).map { image in (0..<3).map { channel in (0..<32).map { row in
            (0..<32).map { Double(input.scalars[((image * 3 + channel) * 32 + row) * 32 + $0]) } } } }
        let only = try await fixture.postJSON("/v2/models/mpw/versions/1/infer", [
            "inputs": [["name": "input", "shape": [3, 3, 32, 32], "datatype": "FP32", "data": nested]], "outputs": [["name": "probabilities"]]])
        let onlyOutputs = try #require(only.json["outputs"] as? [[String: Any]])
        #expect(onlyOutputs.count == 1 && onlyOutputs[0]["name"] as? String == "probabilities")
        #expect(try #require(onlyOutputs[0]["data"] as? [Double]) == probabilities)
        try await fixture.stop()
    }

    /// The Python client of docs/serving.md (standard library only), fed the preprocessed image.
    @Test func aPythonKServeClientGetsMpwPredictsProbabilities() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let pixelsFile = try Self.preprocessedPixels(of: files[1], fixture: fixture)
        let script = """
        import json, urllib.request

        base = "http://127.0.0.1:\(fixture.port)/v2/models/mpw"
        meta = json.load(urllib.request.urlopen(base))
        _, c, h, w = meta["inputs"][0]["shape"]
        pixels = json.load(open("\(pixelsFile.path)"))
        body = {"inputs": [{"name": "input", "shape": [1, c, h, w], "datatype": "FP32", "data": pixels}],
                "outputs": [{"name": "probabilities"}]}
        request = urllib.request.Request(base + "/infer", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        answer = json.load(urllib.request.urlopen(request))
        probabilities = answer["outputs"][0]["data"]
        classes = meta["parameters"]["classes"].split(",")
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        print(classes[best], probabilities[best])
        """
        let outcome = try await Task.detached { try PythonTools.run(["-c", script]) }.value
        #expect(outcome.status == 0, "\(outcome.output)")
        try Self.expectTopClassAsOffline(outcome.output, image: files[1], fixture: fixture)
        try await fixture.stop()
    }

    /// Triton's own client (tritonclient.http) with its defaults: inputs and outputs as binary
    /// tensors (`set_data_from_numpy(x)`, no outputs named, or outputs named with their default
    /// `binary_data=True`), on a real image and on np.zeros and np.ones; the server metadata
    /// lists the extension, and the probabilities are those `mpw predict` prints.
    @Test(.enabled(if: PythonTools.has("tritonclient.http"), Comment(rawValue: PythonTools.missing("tritonclient.http"))))
    func tritonsClientWithItsDefaultsGetsMpwPredictsProbabilities() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let pixelsFile = try Self.preprocessedPixels(of: files[1], fixture: fixture)
        let script = """
        import json, numpy
        import tritonclient.http as triton

        client = triton.InferenceServerClient(url="127.0.0.1:\(fixture.port)")
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        pixels = numpy.array(json.load(open("\(pixelsFile.path)")), dtype=numpy.float32).reshape(1, 3, 32, 32)
        def infer(x, **arguments):
            tensor = triton.InferInput("input", list(x.shape), "FP32")
            tensor.set_data_from_numpy(x)
            return client.infer("mpw", [tensor], **arguments)
        every = infer(pixels)
        named = infer(pixels, outputs=[triton.InferRequestedOutput("probabilities")])
        assert (every.as_numpy("probabilities") == named.as_numpy("probabilities")).all()
        assert every.as_numpy("logits").shape == (1, 10)
        for x in [numpy.zeros((2, 3, 32, 32), numpy.float32), numpy.ones((1, 3, 32, 32), numpy.float32)]:
            answer = infer(x).as_numpy("probabilities")
            assert answer.shape == (x.shape[0], 10) and abs(answer.sum(axis=1) - 1).max() < 1e-5, answer
        probabilities = named.as_numpy("probabilities")[0]
        best = int(probabilities.argmax())
        print(client.get_model_metadata("mpw")["parameters"]["classes"].split(",")[best], repr(float(probabilities[best])))
        """
        let outcome = try await Task.detached { try PythonTools.run(["-c", script]) }.value
        #expect(outcome.status == 0, "\(outcome.output)")
        try Self.expectTopClassAsOffline(outcome.output, image: files[1], fixture: fixture)
        try await fixture.stop()
    }

    /// KServe's own Python SDK (kserve 0.21): its REST client on the Open Inference Protocol
    /// (`RESTConfig(protocol="v2")`; its default "v1" is KServe's older protocol, which this server
    /// does not speak) with `InferInput.set_data_from_numpy(x)` at its default (binary tensors),
    /// on a real image and on np.zeros and np.ones; the probabilities are those `mpw predict` prints.
    @Test(.enabled(if: PythonTools.has("kserve"), Comment(rawValue: PythonTools.missing("kserve"))))
    func kserveSDKWithItsDefaultsGetsMpwPredictsProbabilities() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let pixelsFile = try Self.preprocessedPixels(of: files[1], fixture: fixture)
        let script = """
        import asyncio, json, numpy
        from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

        async def main():
            client = InferenceRESTClient(RESTConfig(protocol="v2"))
            url = "http://127.0.0.1:\(fixture.port)"
            async def infer(x):
                tensor = InferInput("input", list(x.shape), "FP32")
                tensor.set_data_from_numpy(x)
                answer = await client.infer(url, InferRequest(model_name="mpw", infer_inputs=[tensor]), model_name="mpw")
                return next(output for output in answer.outputs if output.name == "probabilities").as_numpy()
            pixels = numpy.array(json.load(open("\(pixelsFile.path)")), dtype=numpy.float32).reshape(1, 3, 32, 32)
            for x in [numpy.zeros((2, 3, 32, 32), numpy.float32), numpy.ones((1, 3, 32, 32), numpy.float32)]:
                answer = await infer(x)
                assert answer.shape == (x.shape[0], 10) and abs(answer.sum(axis=1) - 1).max() < 1e-5, answer
            probabilities = (await infer(pixels))[0]
            best = int(probabilities.argmax())
            print(best, repr(float(probabilities[best])))

        asyncio.run(main())
        """
        let outcome = try await Task.detached { try PythonTools.run(["-c", script]) }.value
        #expect(outcome.status == 0, "\(outcome.output)")
        try Self.expectTopClassAsOffline(outcome.output, image: files[1], fixture: fixture, byIndex: true)
        try await fixture.stop()
    }

    /// Triton's client reads the repository index, the model configuration and the inference
    /// statistics (which count the requests it sent), unloads the served model (which then
    /// refuses inference, in one line) and loads it back.
    @Test(.enabled(if: PythonTools.has("tritonclient.http"), Comment(rawValue: PythonTools.missing("tritonclient.http"))))
    func tritonsClientReadsTheRepositoryConfigurationAndStatistics() async throws {
        let fixture = try await ServerFixture { $0.maxBatch = 4; $0.maxDelayMilliseconds = 2 }
        let script = """
        import numpy
        import tritonclient.http as triton
        from tritonclient.utils import InferenceServerException

        client = triton.InferenceServerClient(url="127.0.0.1:\(fixture.port)")
        assert client.get_model_repository_index() == [{"name": "mpw", "version": "1", "state": "READY"}]
        config = client.get_model_config("mpw")
        assert config["max_batch_size"] == 4 and config["input"] == [{"name": "input", "data_type": "TYPE_FP32", "format": "FORMAT_NCHW", "dims": [3, 32, 32]}], config
        assert [(o["name"], o["dims"]) for o in config["output"]] == [("logits", [10]), ("probabilities", [10])], config
        for count in [3, 1]:
            tensor = triton.InferInput("input", [count, 3, 32, 32], "FP32")
            tensor.set_data_from_numpy(numpy.zeros((count, 3, 32, 32), numpy.float32))
            client.infer("mpw", [tensor])
        stats = client.get_inference_statistics("mpw")["model_stats"][0]
        assert stats["name"] == "mpw" and stats["inference_count"] == 4 and stats["execution_count"] == 2, stats
        assert stats["inference_stats"]["success"]["count"] == 2 and stats["inference_stats"]["success"]["ns"] > 0, stats
        assert stats["inference_stats"]["fail"]["count"] == 0 and stats["last_inference"] > 0, stats
        assert client.get_inference_statistics()["model_stats"][0]["inference_count"] == 4
        client.load_model("mpw")
        client.unload_model("mpw")
        assert client.get_model_repository_index() == [{"name": "mpw", "state": "UNAVAILABLE", "reason": "unloaded"}]
        assert not client.is_model_ready("mpw")
        for call in [lambda: client.infer("mpw", [tensor]), lambda: client.get_model_config("other"), lambda: client.load_model("other")]:
            try:
                call()
                raise AssertionError("no error")
            except InferenceServerException as error:
                print(error)
        client.load_model("mpw")
        assert client.is_model_ready("mpw")
        client.infer("mpw", [tensor])
        """
        let outcome = try await Task.detached { try PythonTools.run(["-c", script]) }.value
        #expect(outcome.status == 0, "\(outcome.output)")
        let lines = outcome.output.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].contains("unloaded") && lines[1].contains("no model \"other\"")
                && lines[2].contains("no model \"other\" in the repository"), "\(outcome.output)")
        try await fixture.stop()
    }

    /// Triton's own client with JSON tensors (`binary_data=False`) reads the server's health and
    /// metadata and gets the probabilities `mpw predict` prints.
    @Test(.enabled(if: PythonTools.has("tritonclient.http"), Comment(rawValue: PythonTools.missing("tritonclient.http"))))
    func tritonsClientGetsMpwPredictsProbabilities() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let pixelsFile = try Self.preprocessedPixels(of: files[1], fixture: fixture)
        let script = """
        import json, numpy
        import tritonclient.http as triton

        client = triton.InferenceServerClient(url="127.0.0.1:\(fixture.port)")
        assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("mpw")
        meta = client.get_model_metadata("mpw")
        _, c, h, w = meta["inputs"][0]["shape"]
        pixels = numpy.array(json.load(open("\(pixelsFile.path)")), dtype=numpy.float32).reshape(1, c, h, w)
        tensor = triton.InferInput("input", [1, c, h, w], "FP32")
        tensor.set_data_from_numpy(pixels, binary_data=False)
        answer = client.infer("mpw", [tensor], outputs=[triton.InferRequestedOutput("probabilities", binary_data=False)])
        probabilities = answer.as_numpy("probabilities")[0]
        best = int(probabilities.argmax())
        print(meta["parameters"]["classes"].split(",")[best], repr(float(probabilities[best])))
        """
        let outcome = try await Task.detached { try PythonTools.run(["-c", script]) }.value
        #expect(outcome.status == 0, "\(outcome.output)")
        try Self.expectTopClassAsOffline(outcome.output, image: files[1], fixture: fixture)
        try await fixture.stop()
    }

    @Test func imageRoutesAnswerWhatMpwPredictPrints() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let offline = try Self.predictOffline(files, model: fixture.model, top: 5)
        for (file, expected) in zip(files, offline) {
            let reply = try await fixture.post("/v1/predict", file: file)
            #expect(reply.status == 200, "\(reply.text)")
            let served = try Self.predictions(reply)
            #expect(served.map(\.index) == expected.map(\.index) && served.map(\.name) == expected.map(\.name))
            #expect(zip(served, expected).allSatisfy { abs($0.probability - $1.probability) <= 1e-6 }, "\(file)")
        }

        // An HTML form's upload (multipart/form-data) and ?topk=.
        let boundary = "----mpw-test-boundary"
        var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
        form += try Data(contentsOf: URL(fileURLWithPath: files[1]))
        form += Data("\r\n--\(boundary)--\r\n".utf8)
        let multipart = try await fixture.request("POST", "/v1/predict?topk=2", body: form, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(multipart.status == 200, "\(multipart.text)")
        let served = try Self.predictions(multipart)
        #expect(served.count == 2 && served.map(\.index) == offline[1].prefix(2).map(\.index))
        #expect(zip(served, offline[1]).allSatisfy { abs($0.probability - $1.probability) <= 1e-6 })
        try await fixture.stop()
    }

    @Test func explainAnswersThePicturesMpwExplainDraws() async throws {
        let fixture = try await ServerFixture()
        let files = try ServerFixture.writeImages(in: fixture.root)
        let image = try ImageDecoder.decode(fileAt: files[1])
        let (input, pixels) = try fixture.model.batch([image])
        let explanation = fixture.model.explain(input, classes: [nil]).explanations[0]
        let picture = FlowPicture.enlarged(pixels[0], scale: 4)

        let reply = try await fixture.post("/v1/explain", file: files[1])
        #expect(reply.status == 200, "\(reply.text)")
        let json = reply.json
        #expect(json["class_index"] as? Int == explanation.classIndex && json["map_height"] as? Int == 8 && json["picture_scale"] as? Int == 4)
        #expect(abs(try #require(json["score"] as? Double) - Double(explanation.score)) <= 1e-4)
        let proxies = try #require(json["proxies"] as? [[String: Any]])
        #expect(proxies.count == 4)
        var shares = 0.0
        for (index, proxy) in proxies.enumerated() {
            let expected = explanation.proxies[index]
            let encoded = try #require(proxy["png"] as? String)
            let png = try #require(Data(base64Encoded: encoded))
            let served = try PNGCodec.decode([UInt8](png), path: "proxy png")
            let drawn = FlowPicture.heatmap(expected.map, mapHeight: 8, mapWidth: 8, over: picture)
            #expect(served.width == 128 && served.height == 128 && served.pixels == drawn.pixels, "proxy \(index)")
            #expect(abs(try #require(proxy["score_contribution"] as? Double) - Double(expected.contribution)) <= 1e-4)
            #expect(abs(try #require(proxy["mass_share"] as? Double) - Double(expected.massShare)) <= 1e-5)
            shares += try #require(proxy["score_share"] as? Double)
        }
        #expect(abs(shares - 1) <= 1e-3, "without a class bias the proxies' parts make the whole score")
        let argmaxText = try #require(json["argmax_png"] as? String)
        let argmax = try PNGCodec.decode([UInt8](try #require(Data(base64Encoded: argmaxText))), path: "argmax")
        #expect(argmax.width == 128 && argmax.height > 128)

        let chosen = try await fixture.post("/v1/explain?class=ship", file: files[1])
        #expect(chosen.json["class_index"] as? Int == 8 && chosen.json["class_name"] as? String == "ship")
        #expect(try await fixture.post("/v1/explain?class=whale", file: files[1]).status == 400)
        try await fixture.stop()

        let plain = try await ServerFixture(head: .gapfc)
        let refused = try await plain.post("/v1/explain", file: files[0])
        #expect(refused.status == 400 && (refused.json["error"] as? String)?.contains("gapfc") == true)
        #expect(try await plain.post("/v1/predict", file: files[0]).status == 200)
        try await plain.stop()
    }
}
