/// The few file operations the WAL and the snapshotter need. `PosixFileSystem` does them for
/// real; `MemoryFileSystem` keeps files in memory and can tear writes, fail syncs, lose unsynced
/// data in a simulated crash, and flip bits, so recovery can be tested deterministically.
///
/// Durability contract, the same as POSIX's: a file's bytes survive a crash only after
/// `DiskFile.syncData()` returned, and a file's name (created, renamed or removed) only after
/// `syncDirectory` on the directory holding it returned. Failures throw `WALError.fileSystem`.
public protocol FileSystem: AnyObject {
    /// Creates the directory and any missing parents; does nothing if it exists.
    func createDirectory(atPath path: String) throws
    func exists(atPath path: String) -> Bool
    /// The names (not paths) in a directory, in no particular order.
    func contentsOfDirectory(atPath path: String) throws -> [String]
    /// Creates an empty file, replacing any file of that name, open for reading and writing.
    func createFile(atPath path: String) throws -> DiskFile
    /// Opens an existing file for reading and writing.
    func openFile(atPath path: String) throws -> DiskFile
    /// The whole content of a file.
    func readFile(atPath path: String) throws -> [UInt8]
    func rename(atPath source: String, toPath destination: String) throws
    func removeFile(atPath path: String) throws
    /// Makes the names in a directory durable (fsync of the directory).
    func syncDirectory(atPath path: String) throws
}

/// An open file, closed when the last reference goes away.
public protocol DiskFile: AnyObject {
    /// Writes all of `bytes` at `offset`, extending the file if needed.
    func write(_ bytes: [UInt8], at offset: Int) throws
    func truncate(toSize size: Int) throws
    /// Reserves zero-filled space up to `size` bytes so later writes need not grow the file.
    /// A file already that long is left alone.
    func preallocate(toSize size: Int) throws
    /// Makes the file's data (and its size) durable: fdatasync.
    func syncData() throws
}
