/// Where a reader looks for its files given the directory a user passed.
enum DatasetPaths {
    /// `directory/name` when that subdirectory exists, else `directory` itself, so users may pass
    /// either the dataset's own folder (`cifar-10-batches-bin`) or the folder that contains it.
    static func descend(_ directory: String, into name: String) -> String {
        let nested = join(directory, name)
        return FileBytes.isDirectory(nested) ? nested : directory
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
