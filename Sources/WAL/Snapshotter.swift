import Checksum
import Raft

/// What `Snapshotter.loadNewest` found.
public struct SnapshotLoad: Equatable {
    /// The newest whole snapshot that matched, or nil if there is none.
    public var snapshot: Snapshot?
    /// Newer snapshot files that were damaged, renamed to `<name>.broken`; the server should log them.
    public var brokenFiles: [BrokenSnapshotFile]
}

public struct BrokenSnapshotFile: Equatable {
    /// The file's name before it was set aside.
    public var name: String
    public var error: WALError
}

/// Saves and loads snapshot files in `<data-dir>/member/snap` (docs/storage-format.md,
/// "Snapshots"): each written whole under a temporary name, synced and renamed; at most
/// `maxSnapshots` kept (but never fewer than two). One owner; no threads inside.
public final class Snapshotter {
    private let fileSystem: FileSystem
    private let layout: DataDirectoryLayout
    private let maxSnapshots: Int

    static let brokenSuffix = ".broken"

    /// Creates the snapshot directory if needed and removes files a crash left half-written.
    /// `maxSnapshots` 0 keeps every snapshot.
    public init(dataDirectory: String, fileSystem: FileSystem, maxSnapshots: Int = 5) throws {
        precondition(maxSnapshots >= 0, "maxSnapshots must not be negative")
        self.fileSystem = fileSystem
        self.layout = DataDirectoryLayout(dataDirectory: dataDirectory)
        self.maxSnapshots = maxSnapshots
        if !fileSystem.exists(atPath: layout.snapDirectory) {
            try fileSystem.createDirectory(atPath: layout.snapDirectory)
            try fileSystem.syncDirectory(atPath: layout.memberDirectory)
            try fileSystem.syncDirectory(atPath: layout.dataDirectory)
        }
        for name in try fileSystem.contentsOfDirectory(atPath: layout.snapDirectory) where name.hasSuffix(temporaryFileSuffix) {
            try fileSystem.removeFile(atPath: layout.snapPath(name))
        }
    }

    /// Writes the snapshot durably, then removes the oldest snapshots beyond `maxSnapshots`.
    /// Save the snapshot before its WAL marker (see `WAL.saveSnapshotMarker`).
    public func save(_ snapshot: Snapshot) throws {
        try save(metadata: snapshot.metadata, dataCount: snapshot.data.count) { sink in try sink(snapshot.data) }
    }

    /// Saves a snapshot whose data `writeData` hands to its sink in order, in chunks of any size,
    /// `dataCount` bytes in all: the data never needs to be whole in memory. The file is the same,
    /// byte for byte, as `save(_:)` writes for the same data. If `writeData` or the file system
    /// throws, the error is rethrown and only a temporary file is left, which `init` removes.
    public func save(
        metadata: SnapshotMetadata, dataCount: Int, writeData: (_ sink: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        precondition(metadata.index != 0, "the empty snapshot is never saved")
        let name = SnapshotFileName(term: metadata.term, index: metadata.index)
        let path = layout.snapPath(name.description)
        let temporaryPath = path + temporaryFileSuffix
        var header = SnapshotFile.header(for: metadata, dataCount: dataCount)
        let file = try fileSystem.createFile(atPath: temporaryPath)
        // The data goes after the header's space and the header last, once the checksum (of the
        // header's fields after it, then the data) is known.
        var checksum = CRC32C.update(0, header[SnapshotFile.checksummedFrom...])
        var offset = header.count
        try writeData { chunk in
            try file.write(chunk, at: offset)
            checksum = CRC32C.update(checksum, chunk[...])
            offset += chunk.count
        }
        precondition(offset - header.count == dataCount, "snapshot data of \(offset - header.count) bytes, not the \(dataCount) announced")
        header.storeLittleEndian(checksum, at: SnapshotFile.checksumOffset)
        try file.write(header, at: 0)
        try file.syncData()
        try fileSystem.rename(atPath: temporaryPath, toPath: path)
        try fileSystem.syncDirectory(atPath: layout.snapDirectory)
        try removeOldSnapshots()
    }

    /// The newest snapshot that is whole and, when `markers` is given, has a marker in the WAL
    /// (`WAL.snapshotMarkers`). Damaged files on the way are renamed to `<name>.broken`.
    public func loadNewest(matching markers: [SnapshotMarker]? = nil) throws -> SnapshotLoad {
        var brokenFiles: [BrokenSnapshotFile] = []
        for name in try snapshotNames().reversed() {
            if let markers, !markers.contains(SnapshotMarker(index: name.index, term: name.term)) { continue }
            let path = layout.snapPath(name.description)
            do {
                let snapshot = try SnapshotFile.decode(
                    try fileSystem.readFile(atPath: path), name: name, label: layout.snapLabel(name.description)
                )
                return SnapshotLoad(snapshot: snapshot, brokenFiles: brokenFiles)
            } catch let error as WALError {
                guard case .corruptSnapshot = error else { throw error }
                try fileSystem.rename(atPath: path, toPath: path + Self.brokenSuffix)
                brokenFiles.append(BrokenSnapshotFile(name: name.description, error: error))
            }
        }
        return SnapshotLoad(snapshot: nil, brokenFiles: brokenFiles)
    }

    /// The snapshot saved at `metadata`'s index and term, read back whole (the server keeps only
    /// snapshot metadata in memory and reads the data when a follower needs it).
    public func load(_ metadata: SnapshotMetadata) throws -> Snapshot {
        let name = SnapshotFileName(term: metadata.term, index: metadata.index)
        return try SnapshotFile.decode(try fileSystem.readFile(atPath: layout.snapPath(name.description)),
                                       name: name, label: layout.snapLabel(name.description))
    }

    /// The `.snap` files kept, oldest first.
    public func snapshotFileNames() throws -> [String] {
        try snapshotNames().map(\.description)
    }

    private func snapshotNames() throws -> [SnapshotFileName] {
        try fileSystem.contentsOfDirectory(atPath: layout.snapDirectory)
            .compactMap(SnapshotFileName.init(parsing:))
            .sorted(by: SnapshotFileName.isOlder)
    }

    /// Keeps at least two: until the newest snapshot's WAL marker is synced, the one before it is
    /// the newest the server can start from.
    private func removeOldSnapshots() throws {
        guard maxSnapshots > 0 else { return }
        for name in try snapshotNames().dropLast(max(maxSnapshots, 2)) {
            try fileSystem.removeFile(atPath: layout.snapPath(name.description))
        }
    }
}
