import ArgumentParser
import Distributed
import Kernels
import Training

/// Options of commands that run data-parallel under `mpirun`.
struct DistributedOptions: ParsableArguments {
    @Option(help: "Under mpirun: BatchNorm statistics over the whole global batch (sync, the default) or per rank (local).")
    var batchnorm: String?

    @Option(parsing: .unconditional, help: "Under mpirun: gradient bucket size in MB; each bucket is summed over the ranks as soon as backward completes it.")
    var bucketMb: Double = Double(DataParallel.defaultBucketBytes) / Double(1 << 20)

    @Option(parsing: .unconditional, help: "Under mpirun: seconds a collective may wait for the other ranks before the job is aborted.")
    var collectiveTimeout: Double = World.defaultTimeout

    func validate() throws {
        if let batchnorm, BatchNormMode(rawValue: batchnorm) == nil {
            throw ValidationError("--batchnorm \(batchnorm): expected sync or local")
        }
        if !(bucketMb > 0) || !bucketMb.isFinite { throw ValidationError("--bucket-mb must be positive, got \(bucketMb)") }
        if !(collectiveTimeout > 0) || !collectiveTimeout.isFinite {
            throw ValidationError("--collective-timeout must be positive, got \(collectiveTimeout)")
        }
    }

    /// Threads per rank when --threads is not given: the host's cores shared by its ranks.
    static var defaultThreads: Int { max(1, Threads.available / LaunchEnvironment.ranksOnThisHost) }

    /// The process group: Open MPI's world under mpirun, else one process.
    func startWorld() throws -> any Communicator {
        try World.start(timeout: collectiveTimeout)
    }

    func dataParallel(_ world: any Communicator, batchNorm: String?) -> DataParallel {
        DataParallel(world: world, batchNorm: batchNorm.flatMap(BatchNormMode.init(rawValue:)) ?? .sync,
                     bucketBytes: max(4, Int(bucketMb * Double(1 << 20))))
    }
}

/// Runs `body`; under mpirun, an error on one rank ends the whole job (the other ranks would
/// wait for it in their next collective) with one line naming the rank.
func abortingJobOnError(_ world: any Communicator, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        if world.isDistributed { world.abort("\(error)", code: 1) }
        throw error
    }
}
