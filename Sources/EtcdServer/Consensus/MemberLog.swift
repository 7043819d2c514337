import EtcdWire
import Raft
import WAL

/// How a member without a data directory starts its log.
enum LogStart {
    /// A founding member of a new cluster: every founding member writes the same first snapshot
    /// (term 1, index 1) naming all of them, so they start with identical logs. `store` is the
    /// store and leases the cluster starts with: none for a new cluster, a backup's for one
    /// restored with `swift-etcd snapshot restore`.
    case newCluster(LogIdentity, members: [Member], store: StoreSections? = nil)
    /// A member added to a running cluster: it starts empty, and the leader sends it a snapshot
    /// and the log after it. `members` is the membership the cluster reported, which the member
    /// talks to until that snapshot replaces it.
    case join(LogIdentity, members: [Member])
}

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
    /// The applied state the snapshot holds (nil for a joining member that has none yet).
    let snapshotState: AppliedStateSnapshot?
    /// For a member that just joined: the membership the cluster reported.
    var reportedMembers: [Member] = []
    /// What recovery repaired (a torn tail), for the log.
    let repairs: [String]

    /// Opens the log in `dataDirectory`; `start` is asked only when there is none yet.
    static func open(dataDirectory: String, maxSnapshots: Int, maxWALs: Int, start: () throws -> LogStart) throws -> MemberLog {
        let fileSystem = PosixFileSystem()
        let options = WALOptions(maxWALs: maxWALs)
        let snapshotter = try Snapshotter(dataDirectory: dataDirectory, fileSystem: fileSystem, maxSnapshots: max(maxSnapshots, 2))
        let storage = MemoryStorage()

        guard try WAL.exists(dataDirectory: dataDirectory, fileSystem: fileSystem) else {
            switch try start() {
            case .newCluster(let identity, let members, let store):
                let state = AppliedStateSnapshot(membership: MembershipState(members: members), store: store)
                let bootstrap = Snapshot.bootstrap(state.membership.confState, data: state.encoded())
                let hardState = HardState(term: bootstrap.metadata.term, vote: 0, commit: bootstrap.metadata.index)
                let wal = try WAL.create(dataDirectory: dataDirectory, metadata: identity.encoded(), fileSystem: fileSystem, options: options)
                try snapshotter.save(bootstrap)
                try wal.saveSnapshotMarker(SnapshotMarker(bootstrap.metadata))
                try wal.save(hardState: hardState, entries: [])
                try wal.sync()
                try storage.applySnapshot(Snapshot(metadata: bootstrap.metadata))
                storage.setHardState(hardState)
                return MemberLog(wal: wal, snapshotter: snapshotter, storage: storage, identity: identity,
                                 snapshotIndex: bootstrap.metadata.index, snapshotState: state, repairs: [])
            case .join(let identity, let members):
                let wal = try WAL.create(dataDirectory: dataDirectory, metadata: identity.encoded(), fileSystem: fileSystem, options: options)
                try wal.sync()
                return MemberLog(wal: wal, snapshotter: snapshotter, storage: storage, identity: identity,
                                 snapshotIndex: 0, snapshotState: nil, reportedMembers: members, repairs: [])
            }
        }

        let markers = try WAL.snapshotMarkers(dataDirectory: dataDirectory, fileSystem: fileSystem)
        let load = try snapshotter.loadNewest(matching: markers)
        var repairs = load.brokenFiles.map { "skipped broken snapshot \($0.name): \($0.error)" }
        let snapshot = load.snapshot
        let (wal, replay) = try WAL.open(dataDirectory: dataDirectory, at: snapshot.map { SnapshotMarker($0.metadata) } ?? .initial,
                                         fileSystem: fileSystem, options: options)
        if let repair = replay.tailRepair { repairs.append("repaired torn WAL tail: \(repair)") }
        var state: AppliedStateSnapshot?
        if let snapshot {
            state = try AppliedStateSnapshot(decoding: snapshot.data)
            // Memory keeps the metadata; the data stays in the file until a follower needs it.
            try storage.applySnapshot(Snapshot(metadata: snapshot.metadata))
        }
        storage.setHardState(replay.hardState)
        storage.append(replay.entries)
        return MemberLog(wal: wal, snapshotter: snapshotter, storage: storage, identity: try LogIdentity(decoding: replay.metadata),
                         snapshotIndex: snapshot?.metadata.index ?? 0, snapshotState: state, repairs: repairs)
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
        memberID = BigEndian.word(bytes)
        clusterID = BigEndian.word(bytes[8...])
    }

    func encoded() -> [UInt8] {
        BigEndian.bytes(memberID) + BigEndian.bytes(clusterID)
    }
}

struct LogRecoveryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
