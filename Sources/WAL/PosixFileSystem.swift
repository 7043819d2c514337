import Glibc

/// The real file system, through POSIX calls (Linux: fdatasync, posix_fallocate). Files are
/// created owner-only (0600) and directories 0700, as the data directory holds the whole key space.
public final class PosixFileSystem: FileSystem {
    public init() {}

    public func createDirectory(atPath path: String) throws {
        if exists(atPath: path) { return }
        let parent = parentPath(of: path)
        if !parent.isEmpty, parent != path { try createDirectory(atPath: parent) }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw WALError.fileSystem(operation: "mkdir", path: path, errno: errno)
        }
    }

    public func exists(atPath path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            throw WALError.fileSystem(operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    public func createFile(atPath path: String) throws -> DiskFile {
        try PosixFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
    }

    public func openFile(atPath path: String) throws -> DiskFile {
        try PosixFile(path: path, flags: O_RDWR)
    }

    public func readFile(atPath path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WALError.fileSystem(operation: "open", path: path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw WALError.fileSystem(operation: "fstat", path: path, errno: errno)
        }
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, size - done, off_t(done))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                // A file that shrank while being read (nobody else should write here) or an I/O error.
                throw WALError.fileSystem(operation: "pread", path: path, errno: count == 0 ? EIO : errno)
            }
            done += count
        }
        return bytes
    }

    public func rename(atPath source: String, toPath destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw WALError.fileSystem(operation: "rename to \(destination)", path: source, errno: errno)
        }
    }

    public func removeFile(atPath path: String) throws {
        guard unlink(path) == 0 else { throw WALError.fileSystem(operation: "unlink", path: path, errno: errno) }
    }

    public func syncDirectory(atPath path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WALError.fileSystem(operation: "open", path: path, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw WALError.fileSystem(operation: "fsync", path: path, errno: errno) }
    }

    private func parentPath(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}

/// A file descriptor opened read-write; closed on deinit.
final class PosixFile: DiskFile {
    private let descriptor: Int32
    private let path: String

    init(path: String, flags: Int32) throws {
        let descriptor = open(path, flags | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw WALError.fileSystem(operation: "open", path: path, errno: errno) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes {
                pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw WALError.fileSystem(operation: "pwrite", path: path, errno: count == 0 ? EIO : errno)
            }
            done += count
        }
    }

    func truncate(toSize size: Int) throws {
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw WALError.fileSystem(operation: "ftruncate", path: path, errno: errno)
        }
    }

    func preallocate(toSize size: Int) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw WALError.fileSystem(operation: "fstat", path: path, errno: errno)
        }
        if Int(status.st_size) >= size { return }
        // posix_fallocate returns the error number instead of setting errno.
        let result = posix_fallocate(descriptor, 0, off_t(size))
        guard result == 0 else { throw WALError.fileSystem(operation: "posix_fallocate", path: path, errno: result) }
    }

    func syncData() throws {
        while fdatasync(descriptor) != 0 {
            guard errno == EINTR else { throw WALError.fileSystem(operation: "fdatasync", path: path, errno: errno) }
        }
    }
}
