import Foundation
import Testing
import TestSupport
@testable import Serving

/// Memory given back after a large request: the server (here in the test process) returns close
/// to where it was before, instead of keeping the batch's activations and buffers for good.
@Suite(.serialized) struct ServingMemoryTests {
    /// Resident memory (VmRSS), in bytes.
    static func resident() throws -> Int { try ServingHardeningTests.memory("VmRSS") }

    /// Waits up to `seconds` for resident memory to drop to `bound`; the last figure seen.
    static func residentSettles(below bound: Int, within seconds: Double) async throws -> Int {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var now = try resident()
        while now > bound && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            now = try resident()
        }
        return now
    }

    /// Requests of 256 images (a 3 MiB tensor, its forward pass some 40 times that in
    /// activations), one after another: after each, once the batcher is idle, resident memory
    /// gives back at least two thirds of what the request's peak took, and comes back within two
    /// tensors of the one-image baseline, every time (large requests do not stack up). Without
    /// the idle trim the batch's activations stayed cached (resident stayed at the peak); without
    /// the fixed mmap threshold some 10 MiB a request stayed in malloc's arenas.
    @Test func residentMemoryIsGivenBackAfterLargeRequests() async throws {
        let images = 256
        let fixture = try await ServerFixture { $0.maxBatch = images; $0.maxBodyBytes = 32 << 20; $0.logRequests = false }
        let count = images * 3 * 32 * 32
        let tensorBytes = count * MemoryLayout<Float>.size
        var text = #"{"inputs":[{"name":"input","shape":[\#(images),3,32,32],"datatype":"FP32","data":["#
        text.reserveCapacity(6 * count + 128)
        for index in 0..<count { text += index == 0 ? "0.25" : ",0.5" }
        text += "]}]}"
        let body = Data(text.utf8)
        text = ""
        // A one-image request first loads what stays for the process's life (code pages, the
        // thread pools); the baseline is taken once the batcher has been idle.
        try await ServingHardeningTests.expectStillReady(fixture)
        try await Task.sleep(for: .seconds(1))
        let baseline = try Self.resident()
        var figures: [String] = []
        for round in 1...3 {
            let before = try Self.resident()
            // Resets the peak (VmHWM) to the current size, so that it measures this request alone.
            try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
            let reply = try await fixture.request("POST", "/v2/models/mpw/infer", body: body, contentType: "application/json")
            #expect(reply.status == 200, "\(reply.status) \(reply.text.prefix(200))")
            let peak = try ServingHardeningTests.memory("VmHWM")
            #expect(peak - before > 16 * tensorBytes, "round \(round) was not large: peak \(peak >> 20) MiB from \(before >> 20) MiB")
            let settled = try await Self.residentSettles(below: before + (peak - before) / 3, within: 10)
            figures.append("\(before >> 20) -> \(peak >> 20) -> \(settled >> 20)")
            #expect(settled - before <= (peak - before) / 3, "round \(round): resident \(before >> 20) MiB, peak \(peak >> 20), then \(settled >> 20)")
            let near = try await Self.residentSettles(below: baseline + 2 * tensorBytes, within: 10)
            #expect(near <= baseline + 2 * tensorBytes, "round \(round): resident \(near >> 20) MiB, baseline \(baseline >> 20) MiB")
        }
        print("ServingMemoryTests: baseline \(baseline >> 20) MiB; before -> peak -> after each request: \(figures.joined(separator: ", ")) MiB; tensor \(tensorBytes >> 20) MiB")
        try await ServingHardeningTests.expectStillReady(fixture)
        try await fixture.stop()
    }
}
