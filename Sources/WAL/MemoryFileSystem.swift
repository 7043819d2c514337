import Glibc

/// A file system in memory, for tests and simulations, that fails the way disks do:
///
/// - every file keeps two contents: what reads see now, and what would survive a crash (what
///   the last `syncData()` saw); every directory likewise keeps its names as of its last
///   `syncDirectory`;
/// - `crash()` throws away everything not synced, and can tear the last write (only a prefix of
///   it reaches the disk, the rest left unwritten or filled with garbage);
/// - `injectFailure(_:)` makes the next write, data sync or directory sync throw `EIO`;
/// - `flipBit(atPath:byteOffset:bit:)` damages data that was already on the disk;
/// - counters tell how many writes and syncs the code under test made.
///
/// Simplification: directories themselves are durable as soon as they are created. Single
/// owner; not for use from several threads.
public final class MemoryFileSystem: FileSystem {
    /// Which call `injectFailure(_:)` makes fail.
    public enum Operation: Hashable, Sendable {
        case write
        case dataSync
        case directorySync
    }

    /// How the last write before a crash was torn: `keptBytes` of it reached the disk, and the
    /// rest either never did (the old bytes, or nothing, are there) or reached it as garbage.
    public struct TornWrite: Sendable {
        public enum Remainder: Sendable {
            case unwritten
            case garbage(seed: UInt64)
        }

        public var keptBytes: Int
        public var remainder: Remainder

        public init(keptBytes: Int, remainder: Remainder = .unwritten) {
            self.keptBytes = keptBytes
            self.remainder = remainder
        }
    }

    final class Inode {
        var data = PagedBytes()
        var durableData = PagedBytes()
    }

    private struct Directory {
        var entries: [String: Inode] = [:]
        var durableEntries: [String: Inode] = [:]
    }

    /// The last write, with what it overwrote, so a crash can undo all but a prefix of it.
    private struct LastWrite {
        var inode: Inode
        var offset: Int
        var count: Int
        /// The bytes the write replaced, from its offset up to the old end of the file.
        var overwritten: [UInt8]
    }

    private var directories: [String: Directory] = ["/": Directory()]
    private var lastWrite: LastWrite?
    private var pendingFailures: Set<Operation> = []
    /// Bumped by every crash: files opened before it are gone with the process that opened them.
    private(set) var generation = 0

    /// How many bytes the last write carried: the most `crash(tearingLastWrite:)` can keep.
    public var lastWriteByteCount: Int? { lastWrite?.count }

    public private(set) var writeCount = 0
    public private(set) var dataSyncCount = 0
    public private(set) var directorySyncCount = 0

    public init() {}

    // MARK: Faults

    /// The next call of this kind throws `EIO` and changes nothing.
    public func injectFailure(_ operation: Operation) {
        pendingFailures.insert(operation)
    }

    /// Simulates losing power: every file reverts to its synced content and every directory to
    /// its synced names; files opened before the crash can no longer be used. With `torn`, the
    /// file that received the last write keeps everything written to it before that write plus
    /// the first `keptBytes` of it, as if the disk had been writing that write when power went.
    public func crash(tearingLastWrite torn: TornWrite? = nil) {
        if let torn {
            guard let lastWrite else { preconditionFailure("no write since the last crash to tear") }
            precondition(torn.keptBytes >= 0 && torn.keptBytes <= lastWrite.count)
            lastWrite.inode.durableData = tornContent(of: lastWrite, keeping: torn)
        }
        var inodes: [ObjectIdentifier: Inode] = [:]
        for path in directories.keys {
            directories[path]!.entries = directories[path]!.durableEntries
            for inode in directories[path]!.entries.values { inodes[ObjectIdentifier(inode)] = inode }
        }
        for inode in inodes.values { inode.data = inode.durableData }
        lastWrite = nil
        generation += 1
    }

    /// Flips one bit of a file, both in what reads see and on the simulated disk.
    public func flipBit(atPath path: String, byteOffset: Int, bit: Int) throws {
        precondition(bit >= 0 && bit < 8)
        let inode = try lookUp(path, operation: "flip bit")
        precondition(byteOffset >= 0 && byteOffset < inode.data.count, "offset past the end of \(path)")
        inode.data[byteOffset] ^= 1 << UInt8(bit)
        if byteOffset < inode.durableData.count { inode.durableData[byteOffset] ^= 1 << UInt8(bit) }
    }

    private func tornContent(of write: LastWrite, keeping torn: TornWrite) -> PagedBytes {
        var content = write.inode.data
        let lost = (write.offset + torn.keptBytes)..<(write.offset + write.count)
        switch torn.remainder {
        case .unwritten:
            // What the write overwrote comes back; what it appended past the old end is lost too.
            let restoredEnd = max(lost.lowerBound, min(lost.upperBound, write.offset + write.overwritten.count))
            if restoredEnd > lost.lowerBound {
                content.write(write.overwritten[(lost.lowerBound - write.offset)..<(restoredEnd - write.offset)], at: lost.lowerBound)
            }
            if restoredEnd < lost.upperBound {
                // If this write is what made the file this long, the file ends where the kept part does.
                if content.count == lost.upperBound {
                    content.resize(to: restoredEnd)
                } else {
                    content.write([UInt8](repeating: 0, count: lost.count - (restoredEnd - lost.lowerBound))[...], at: restoredEnd)
                }
            }
        case let .garbage(seed):
            var random = SeededRandom(seed: seed)
            content.write(lost.map { _ in UInt8(truncatingIfNeeded: random.next()) }[...], at: lost.lowerBound)
        }
        return content
    }

    private func failIfInjected(_ operation: Operation, _ name: String, _ path: String) throws {
        if pendingFailures.remove(operation) != nil {
            throw WALError.fileSystem(operation: name, path: path, errno: EIO)
        }
    }

    // MARK: FileSystem

    public func createDirectory(atPath path: String) throws {
        let path = Self.normalize(path)
        if directories[path] != nil { return }
        let (parent, name) = Self.split(path)
        try createDirectory(atPath: parent)
        if directories[parent]!.entries[name] != nil {
            throw WALError.fileSystem(operation: "mkdir", path: path, errno: EEXIST)
        }
        directories[path] = Directory()
    }

    public func exists(atPath path: String) -> Bool {
        let path = Self.normalize(path)
        if directories[path] != nil { return true }
        let (parent, name) = Self.split(path)
        return directories[parent]?.entries[name] != nil
    }

    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        let path = Self.normalize(path)
        guard let directory = directories[path] else {
            throw WALError.fileSystem(operation: "opendir", path: path, errno: ENOENT)
        }
        let subdirectories = directories.keys.filter { $0 != "/" && Self.split($0).parent == path }
        return Array(directory.entries.keys) + subdirectories.map { Self.split($0).name }
    }

    public func createFile(atPath path: String) throws -> DiskFile {
        let path = Self.normalize(path)
        let (parent, name) = Self.split(path)
        guard directories[parent] != nil else {
            throw WALError.fileSystem(operation: "open", path: path, errno: ENOENT)
        }
        guard directories[path] == nil else { throw WALError.fileSystem(operation: "open", path: path, errno: EISDIR) }
        // Like O_TRUNC, an existing file is emptied in place rather than replaced.
        let inode = directories[parent]!.entries[name] ?? Inode()
        inode.data = PagedBytes()
        directories[parent]!.entries[name] = inode
        return MemoryFile(fileSystem: self, inode: inode, path: path)
    }

    public func openFile(atPath path: String) throws -> DiskFile {
        let path = Self.normalize(path)
        return MemoryFile(fileSystem: self, inode: try lookUp(path, operation: "open"), path: path)
    }

    public func readFile(atPath path: String) throws -> [UInt8] {
        try lookUp(Self.normalize(path), operation: "open").data.bytes
    }

    public func rename(atPath source: String, toPath destination: String) throws {
        let source = Self.normalize(source)
        let destination = Self.normalize(destination)
        let inode = try lookUp(source, operation: "rename to \(destination)")
        let (destinationParent, destinationName) = Self.split(destination)
        guard directories[destinationParent] != nil else {
            throw WALError.fileSystem(operation: "rename to \(destination)", path: source, errno: ENOENT)
        }
        let (sourceParent, sourceName) = Self.split(source)
        directories[sourceParent]!.entries[sourceName] = nil
        directories[destinationParent]!.entries[destinationName] = inode
    }

    public func removeFile(atPath path: String) throws {
        let path = Self.normalize(path)
        _ = try lookUp(path, operation: "unlink")
        let (parent, name) = Self.split(path)
        directories[parent]!.entries[name] = nil
    }

    public func syncDirectory(atPath path: String) throws {
        let path = Self.normalize(path)
        guard directories[path] != nil else { throw WALError.fileSystem(operation: "open", path: path, errno: ENOENT) }
        try failIfInjected(.directorySync, "fsync", path)
        directorySyncCount += 1
        directories[path]!.durableEntries = directories[path]!.entries
    }

    // MARK: Files

    func write(_ bytes: [UInt8], at offset: Int, to inode: Inode, path: String) throws {
        precondition(offset >= 0)
        try failIfInjected(.write, "pwrite", path)
        writeCount += 1
        let overwritten = offset < inode.data.count ? inode.data.bytes(in: offset..<min(offset + bytes.count, inode.data.count)) : []
        inode.data.write(bytes[...], at: offset)
        lastWrite = LastWrite(inode: inode, offset: offset, count: bytes.count, overwritten: overwritten)
    }

    func syncData(of inode: Inode, path: String) throws {
        try failIfInjected(.dataSync, "fdatasync", path)
        dataSyncCount += 1
        inode.durableData = inode.data
    }

    private func lookUp(_ path: String, operation: String) throws -> Inode {
        let (parent, name) = Self.split(path)
        guard let inode = directories[parent]?.entries[name] else {
            throw WALError.fileSystem(operation: operation, path: path, errno: ENOENT)
        }
        return inode
    }

    /// An absolute path without empty or "." components; relative paths are taken from "/".
    private static func normalize(_ path: String) -> String {
        let components = path.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }

    private static func split(_ normalizedPath: String) -> (parent: String, name: String) {
        let slash = normalizedPath.lastIndex(of: "/")!
        let parent = slash == normalizedPath.startIndex ? "/" : String(normalizedPath[..<slash])
        return (parent, String(normalizedPath[normalizedPath.index(after: slash)...]))
    }
}

/// A file open on a `MemoryFileSystem`; unusable after the file system's next crash.
final class MemoryFile: DiskFile {
    private let fileSystem: MemoryFileSystem
    private let inode: MemoryFileSystem.Inode
    private let path: String
    private let generation: Int

    init(fileSystem: MemoryFileSystem, inode: MemoryFileSystem.Inode, path: String) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.path = path
        self.generation = fileSystem.generation
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try checkNotCrashed("pwrite")
        try fileSystem.write(bytes, at: offset, to: inode, path: path)
    }

    func truncate(toSize size: Int) throws {
        try checkNotCrashed("ftruncate")
        inode.data.resize(to: size)
    }

    func preallocate(toSize size: Int) throws {
        try checkNotCrashed("posix_fallocate")
        if inode.data.count < size { inode.data.resize(to: size) }
    }

    func syncData() throws {
        try checkNotCrashed("fdatasync")
        try fileSystem.syncData(of: inode, path: path)
    }

    private func checkNotCrashed(_ operation: String) throws {
        guard generation == fileSystem.generation else {
            throw WALError.fileSystem(operation: operation, path: path, errno: EBADF)
        }
    }
}

/// A small seeded generator (SplitMix64), so torn-write garbage, and test scenarios, are the
/// same on every run.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
