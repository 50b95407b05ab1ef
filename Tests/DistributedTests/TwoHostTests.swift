import Foundation
import Testing
import TestSupport
@testable import Training

/// Two "hosts" on one machine: two network namespaces joined by a veth pair, each end with an
/// address of a private subnet that exists only inside them. mpirun runs in the first and starts
/// the second rank's daemon through an rsh agent that enters the other namespace (no ssh), and
/// the ranks talk TCP over the veth pair only.
@Suite(.serialized, .enabled(if: MPIJob.mpirun != nil, "Open MPI's mpirun is not on the PATH: install openmpi-bin (scripts/bootstrap does)"))
struct TwoHostTests {
    /// Namespaces, link and agent of one test, removed again by `tearDown`.
    final class Hosts {
        let names: [String]
        let addresses = ["10.213.47.1", "10.213.47.2"]
        let subnet = "10.213.47.0/24"
        let agent: URL

        init(in root: TemporaryDirectory) throws {
            let tag = String(getpid() % 100_000)
            names = ["mpwA\(tag)", "mpwB\(tag)"]
            agent = root.file("netns-agent")
            let script = """
                #!/bin/sh
                # Called by mpirun as: AGENT HOST command...; runs the command in HOST's namespace.
                host="$1"; shift
                case "$host" in
                  \(addresses[0])) ns=\(names[0]) ;;
                  \(addresses[1])) ns=\(names[1]) ;;
                  *) echo "netns-agent: unknown host $host" >&2; exit 1 ;;
                esac
                exec ip netns exec "$ns" sh -c "$*"

                """
            try Data(script.utf8).write(to: agent)
            chmod(agent.path, 0o755)
        }

        /// Nil when it worked, else why not (the machine forbids namespaces, no `ip`, ...).
        func setUp() -> String? {
            guard let ip = MPIJob.executable(named: "ip") else { return "the ip command (iproute2) is not installed" }
            let veth = ["v\(names[0])", "v\(names[1])"]
            let steps: [[String]] = [
                ["netns", "add", names[0]], ["netns", "add", names[1]],
                ["link", "add", veth[0], "type", "veth", "peer", "name", veth[1]],
                ["link", "set", veth[0], "netns", names[0]], ["link", "set", veth[1], "netns", names[1]],
                ["-n", names[0], "addr", "add", addresses[0] + "/24", "dev", veth[0]],
                ["-n", names[1], "addr", "add", addresses[1] + "/24", "dev", veth[1]],
                ["-n", names[0], "link", "set", veth[0], "up"], ["-n", names[1], "link", "set", veth[1], "up"],
                ["-n", names[0], "link", "set", "lo", "up"], ["-n", names[1], "link", "set", "lo", "up"],
            ]
            for step in steps {
                let (status, output) = Self.run(ip, step)
                if status != 0 { return "`ip \(step.joined(separator: " "))` failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))" }
            }
            return nil
        }

        func tearDown() {
            guard let ip = MPIJob.executable(named: "ip") else { return }
            for name in names { _ = Self.run(ip, ["netns", "delete", name]) }
        }

        static func run(_ executable: String, _ arguments: [String]) -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            do { try process.run() } catch { return (-1, "\(error)") }
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }

    @Test func twoHostsOverTCPMatchOneProcess() throws {
        let root = try TemporaryDirectory()
        let hosts = try Hosts(in: root)
        defer { hosts.tearDown() }
        if let reason = hosts.setUp() {
            print("TwoHostTests: skipped, network namespaces are not available here: \(reason)")
            return
        }
        let ip = MPIJob.executable(named: "ip")!
        let flags = ["--host", hosts.addresses.joined(separator: ","), "--mca", "plm_rsh_agent", hosts.agent.path,
                     "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", hosts.subnet, "--mca", "oob_tcp_if_include", hosts.subnet,
                     "--bind-to", "none"]
        let data = try MPIJob.randomPixelData(in: root.file("data"))
        let two = try MPIJob.run(MPIJob.trainArguments(head: "gapfc", out: root.file("two"), data: data, extra: ["--stop-after", "1"]), ranks: 2,
                                 mpiFlags: flags, launcher: [ip, "netns", "exec", hosts.names[0]])
        #expect(two.status != 0 && two.output.contains("state saved"), "\(two.output.suffix(3000))")
        let one = try MPIJob.run(MPIJob.trainArguments(head: "gapfc", out: root.file("one"), data: data,
                                                       extra: ["--stop-after", "1", "--threads", "2"]),
                                 ranks: nil)
        #expect(one.output.contains("state saved"))
        let configuration = try Checkpoint.read(root.file("two/last.safetensors")).configuration
        #expect(configuration.worldSize == 2)
        // The bounds of DataParallelTrainingTests' one step, and what they rest on.
        let twoHosts = root.file("two/last.safetensors"), oneProcess = root.file("one/last.safetensors")
        #expect(try relativeDifference(twoHosts, oneProcess, prefix: "optimizer.") < DataParallelTrainingTests.oneStepTolerance)
        #expect(try relativeDifference(twoHosts, oneProcess) { $0.contains(".running_") } < 1e-6)
    }
}
