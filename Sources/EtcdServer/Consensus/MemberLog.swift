import Raft
import WAL

/// This member's Raft log on disk (WAL + snapshot files) and in memory (`MemoryStorage`),
/// opened at startup: a new data directory is bootstrapped, an existing one is replayed.
struct MemberLog {
    let wal: WAL
    let snapshotter: Snapshotter
    let storage: MemoryStorage
    /// The member and cluster IDs recorded when the log was created.
    let identity: LogIdentity
    /// Index of the snapshot the log starts from: everything after it is replayed through apply.
    let snapshotIndex: UInt64
    /// What recovery repaired (a torn tail), for the log.
    let repairs: [String]

    static func open(dataDirectory: String, identity: LogIdentity, maxSnapshots: Int, maxWALs: Int) throws -> MemberLog {
        let fileSystem = PosixFileSystem()
        let options = WALOptions(maxWALs: maxWALs)
        let snapshotter = try Snapshotter(dataDirectory: dataDirectory, fileSystem: fileSystem, maxSnapshots: max(maxSnapshots, 2))
        let storage = MemoryStorage()

        guard try WAL.exists(dataDirectory: dataDirectory, fileSystem: fileSystem) else {
            // A new single-member cluster: its founding membership is a snapshot at index 1.
            let bootstrap = Snapshot.bootstrap(ConfState(voters: [identity.memberID]))
            let hardState = HardState(term: bootstrap.metadata.term, vote: 0, commit: bootstrap.metadata.index)
            let wal = try WAL.create(dataDirectory: dataDirectory, metadata: identity.encoded(), fileSystem: fileSystem, options: options)
            try snapshotter.save(bootstrap)
            try wal.saveSnapshotMarker(SnapshotMarker(bootstrap.metadata))
            try wal.save(hardState: hardState, entries: [])
            try wal.sync()
            try storage.applySnapshot(bootstrap)
            storage.setHardState(hardState)
            return MemberLog(wal: wal, snapshotter: snapshotter, storage: storage, identity: identity,
                             snapshotIndex: bootstrap.metadata.index, repairs: [])
        }

        let markers = try WAL.snapshotMarkers(dataDirectory: dataDirectory, fileSystem: fileSystem)
        let load = try snapshotter.loadNewest(matching: markers)
        var repairs = load.brokenFiles.map { "skipped broken snapshot \($0.name): \($0.error)" }
        let snapshot = load.snapshot
        let (wal, replay) = try WAL.open(dataDirectory: dataDirectory, at: snapshot.map { SnapshotMarker($0.metadata) } ?? .initial,
                                         fileSystem: fileSystem, options: options)
        if let repair = replay.tailRepair { repairs.append("repaired torn WAL tail: \(repair)") }
        if let snapshot {
            guard snapshot.data.isEmpty else {
                // Snapshots of the store are written only once log compaction exists.
                throw LogRecoveryError("snapshot at index \(snapshot.metadata.index) carries store data, which this version cannot load")
            }
            try storage.applySnapshot(snapshot)
        }
        storage.setHardState(replay.hardState)
        storage.append(replay.entries)
        return MemberLog(wal: wal, snapshotter: snapshotter, storage: storage, identity: try LogIdentity(decoding: replay.metadata),
                         snapshotIndex: snapshot?.metadata.index ?? 0, repairs: repairs)
    }
}

/// The IDs a log belongs to, kept in every WAL segment's metadata record: 16 bytes, member ID
/// then cluster ID, big-endian.
struct LogIdentity: Hashable {
    var memberID: UInt64
    var clusterID: UInt64

    init(memberID: UInt64, clusterID: UInt64) {
        self.memberID = memberID
        self.clusterID = clusterID
    }

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count == 16 else { throw LogRecoveryError("WAL metadata is \(bytes.count) bytes, expected 16") }
        memberID = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        clusterID = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    func encoded() -> [UInt8] {
        [memberID, clusterID].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64($0))) } }
    }
}

struct LogRecoveryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
