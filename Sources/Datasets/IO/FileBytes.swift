#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Whole-file and file-prefix reads straight into `[UInt8]`, with failures as `DatasetError`s.
///
/// Plain POSIX reads into an array's own storage: no Foundation `Data` in between, so a 150 MB
/// CIFAR file is read once, not copied again.
enum FileBytes {
    /// The whole file.
    static func read(_ path: String) throws -> [UInt8] {
        try read(path, limit: nil)
    }

    /// At most the first `limit` bytes (the whole file when `limit` is nil).
    static func read(_ path: String, limit: Int?) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw openError(path, errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DatasetError(.malformed, path: path, systemError(errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw DatasetError(.malformed, path: path, "is not a regular file")
        }
        let size = Int(status.st_size)
        let wanted = min(size, limit ?? size)
        let (bytes, failure) = readRange(descriptor, from: 0, count: wanted)
        let filled = bytes.count
        if failure != 0 { throw DatasetError(.malformed, path: path, byteOffset: filled, "read failed: \(systemError(failure))") }
        if filled < wanted { throw DatasetError(.truncated, path: path, byteOffset: filled, "file shrank while being read") }
        return bytes
    }

    /// At most the last `count` bytes.
    static func readTail(_ path: String, count: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw openError(path, errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DatasetError(.malformed, path: path, systemError(errno)) }
        let size = Int(status.st_size)
        let start = max(0, size - count)
        let (bytes, failure) = readRange(descriptor, from: start, count: size - start)
        if failure != 0 { throw DatasetError(.malformed, path: path, byteOffset: start, "read failed: \(systemError(failure))") }
        return bytes
    }

    /// True when `path` names a directory.
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// True when `path` names a regular file.
    static func isFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Throws `.missing` unless `path` is a directory.
    static func requireDirectory(_ path: String, _ what: String) throws {
        guard isDirectory(path) else {
            throw DatasetError(.missing, path: path, FileBytes.isFile(path) ? "\(what) is a file, expected a directory" : "\(what) not found")
        }
    }

    private static func openError(_ path: String, _ code: Int32) -> DatasetError {
        code == ENOENT || code == ENOTDIR
            ? DatasetError(.missing, path: path, "file not found")
            : DatasetError(.malformed, path: path, "cannot open: \(systemError(code))")
    }

    /// Up to `count` bytes from `offset`, retrying interrupted reads: fewer at the end of the
    /// file, and the errno of a failed read (0 when none).
    private static func readRange(_ descriptor: Int32, from offset: Int, count: Int) -> (bytes: [UInt8], failure: Int32) {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var filled = 0
            while filled < count {
                let got = pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if got == 0 { break }
                filled += got
            }
            initialized = filled
        }
        return (bytes, failure)
    }

    static func systemError(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
