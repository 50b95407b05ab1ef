import Datasets
import Distributed
import Testing

/// The pieces that decide who does what, without launching anything.
@Suite struct LaunchTests {
    @Test func theLaunchIsReadFromOpenMPIsEnvironment() {
        #expect(LaunchEnvironment.current([:]) == nil)
        #expect(LaunchEnvironment.current(["OMPI_COMM_WORLD_SIZE": "4"]) == nil)
        let launch = LaunchEnvironment.current(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3",
                                                "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "1"])
        #expect(launch == LaunchEnvironment(rank: 3, size: 4, localRank: 1, localSize: 2))
        #expect(LaunchEnvironment.current(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "2"]) == nil)
    }

    /// The shards of every batch size tile it in order, and differ in size by at most one.
    @Test func shardsTileTheBatchInOrder() {
        for ranks in 1...5 {
            for total in ranks...23 {
                let ranges = (0..<ranks).map { BatchShard(rank: $0, count: ranks).range(of: total) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == total)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
            }
        }
        #expect((0..<3).map { BatchShard(rank: $0, count: 3).range(of: 16) } == [0..<6, 6..<11, 11..<16])
    }

    /// The one-process group leaves every buffer as it is.
    @Test func theLocalCommunicatorIsTheIdentity() throws {
        let world = try World.start()
        #expect(world.rank == 0 && world.size == 1 && world.isLeader && !world.isDistributed)
        var values: [Double] = [1, 2, 3]
        world.allreduceSum(&values, label: "test")
        #expect(values == [1, 2, 3])
        #expect(world.allgather([4, 5], label: "test") == [[4, 5]])
        #expect(world.broadcast([7, 8, 9], from: 0, label: "test") == [7, 8, 9])
    }
}
