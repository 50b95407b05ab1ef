import Distributed
import Foundation
import Tensors

extension Checkpoint {
    /// Reads a checkpoint on rank 0 and hands its bytes to every rank, so that the other hosts
    /// need no copy of the run directory.
    public static func read(_ url: URL, sharedWith world: any Communicator) throws -> Contents {
        guard world.isDistributed else { return try read(url) }
        var bytes: [UInt8] = []
        if world.isLeader {
            do {
                bytes = [UInt8](try Data(contentsOf: url))
            } catch {
                throw ConfigurationError("\(url.path): cannot read the checkpoint (\(error.localizedDescription))")
            }
        }
        bytes = world.broadcast(bytes, from: 0, label: "broadcast of the checkpoint")
        return try read(try SafeTensorsFile(bytes: Data(bytes), path: url.path))
    }
}
