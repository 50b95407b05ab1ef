import Foundation

/// What Open MPI's launcher tells a process through its environment: its rank, the world size,
/// and how many ranks share its host. Read without initialising MPI.
public struct LaunchEnvironment: Sendable, Equatable {
    public var rank: Int
    public var size: Int
    public var localRank: Int
    public var localSize: Int

    public init(rank: Int, size: Int, localRank: Int, localSize: Int) {
        self.rank = rank
        self.size = size
        self.localRank = localRank
        self.localSize = localSize
    }

    /// The launch `mpirun` describes, or nil when the process was started any other way.
    public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchEnvironment? {
        guard let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), size >= 1,
              let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init), (0..<size).contains(rank) else { return nil }
        let localSize = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init).map { max($0, 1) } ?? 1
        let localRank = environment["OMPI_COMM_WORLD_LOCAL_RANK"].flatMap(Int.init) ?? 0
        return LaunchEnvironment(rank: rank, size: size, localRank: localRank, localSize: localSize)
    }

    /// Ranks on this host (1 without mpirun): the default thread count divides the cores by it.
    public static var ranksOnThisHost: Int { current()?.localSize ?? 1 }
}
