import Datasets
import Foundation

/// Where CIFAR-10.1 sits next to a CIFAR-10 directory, so Table 1's second column fills itself.
public enum CIFAR10_1Location {
    /// The first of `data`, `data/cifar10.1`, its parent and `parent/cifar10.1` holding
    /// `cifar10.1_v6_data.npy`, or nil.
    public static func next(toData data: String?) -> String? {
        guard let data else { return nil }
        let directory = URL(fileURLWithPath: data).standardizedFileURL
        let parent = directory.deletingLastPathComponent()
        for candidate in [directory, directory.appendingPathComponent("cifar10.1"), parent, parent.appendingPathComponent("cifar10.1")] {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(CIFAR10_1.dataFile(.v6)).path) { return candidate.path }
        }
        return nil
    }
}
