@testable import Raft

/// The application state a member builds by applying committed entries: how far it got and a
/// digest of everything applied, so two members' states compare in O(1).
struct StateMachine: Equatable {
    var appliedIndex: UInt64
    var digest: UInt64

    static func digest(_ previous: UInt64, _ entry: Entry) -> UInt64 {
        var hash = previous ^ 0xCBF2_9CE4_8422_2325
        for value in [entry.index, entry.term, UInt64(entry.type.rawValue)] {
            hash = (hash ^ value) &* 0x0000_0100_0000_01B3
        }
        for byte in entry.data {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    var encoded: [UInt8] {
        [appliedIndex, digest].flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
    }

    /// The state a snapshot holds; the bootstrap snapshot carries no data and an empty state.
    init(snapshot: Snapshot) {
        guard snapshot.data.count == 16 else {
            self.init(appliedIndex: snapshot.metadata.index, digest: 0)
            return
        }
        let value = { (offset: Int) in (0..<8).reduce(UInt64(0)) { $0 | UInt64(snapshot.data[offset + $1]) << (8 * UInt64($1)) } }
        self.init(appliedIndex: value(0), digest: value(8))
    }

    init(appliedIndex: UInt64, digest: UInt64) {
        self.appliedIndex = appliedIndex
        self.digest = digest
    }
}

/// One simulated member: a `RawNode`, the disk it persists to, and the application on top.
/// It handles each `Ready` in two steps, so faults can strike between them:
/// `beginReady` writes the work to the disk buffer; `completeReady` syncs if required, then
/// sends, applies and advances. A crash in between loses what was not synced.
final class SimulatedNode {
    let id: UInt64
    private(set) var config: RaftConfig
    private(set) var raw: RawNode?
    private(set) var storage = MemoryStorage()
    private(set) var disk: SimulatedDisk
    private(set) var stateMachine: StateMachine
    /// Membership as applied by this member's application.
    private(set) var confState: ConfState
    private(set) var pendingReady: Ready?
    private(set) var incarnation: UInt64 = 0
    private var latestSnapshotIndex: UInt64 = 0

    var isUp: Bool { raw != nil }

    init(id: UInt64, config: RaftConfig, initialSnapshot: Snapshot) {
        self.id = id
        self.config = config
        disk = SimulatedDisk(owner: id, snapshot: initialSnapshot)
        stateMachine = StateMachine(snapshot: initialSnapshot)
        confState = initialSnapshot.metadata.confState
        start()
    }

    /// (Re)starts the member from what its disk holds.
    func start() {
        precondition(raw == nil)
        storage = disk.load()
        stateMachine = StateMachine(snapshot: disk.snapshot)
        confState = disk.snapshot.metadata.confState
        config.applied = disk.snapshot.metadata.index
        latestSnapshotIndex = disk.snapshot.metadata.index
        incarnation += 1
        raw = RawNode(config: config, storage: storage, random: SplitMix64(seed: id &* 7_919 &+ incarnation &* 104_729 &+ config.applied))
    }

    func crash(keepingUnsynced count: Int) {
        raw = nil
        pendingReady = nil
        disk.crash(keeping: count)
    }

    var unsyncedRecordCount: Int { disk.unsynced.count }



    /// Step one: take the work and write it to the disk buffer (not yet synced).
    func beginReady() -> Ready? {
        guard let raw, pendingReady == nil, raw.hasReady else { return nil }
        let ready = raw.ready()
        if let snapshot = ready.snapshot { disk.write(.leaderSnapshot(snapshot)) }
        ready.entries.forEach { disk.write(.entry($0)) }
        if let hardState = ready.hardState { disk.write(.hardState(hardState)) }
        pendingReady = ready
        return ready
    }

    /// Step two: sync if the ready requires it, then update the storage Raft reads, apply, and
    /// advance. Returns the ready so the caller can send its messages and check what was
    /// applied; `applied` is called for each entry or snapshot as it is applied.
    func completeReady(syncEvenIfNotRequired: Bool, applied: (Applied) throws -> Void) rethrows -> Ready? {
        guard let raw, let ready = pendingReady else { return nil }
        pendingReady = nil
        if ready.mustSync || syncEvenIfNotRequired { disk.sync() }
        if let snapshot = ready.snapshot {
            try! storage.applySnapshot(snapshot)
            latestSnapshotIndex = snapshot.metadata.index
        }
        storage.append(ready.entries)
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        if let snapshot = ready.snapshot {
            stateMachine = StateMachine(snapshot: snapshot)
            confState = snapshot.metadata.confState
            try applied(.snapshot(snapshot, stateMachine))
        }
        for entry in ready.committedEntries {
            guard entry.index == stateMachine.appliedIndex + 1 else {
                try applied(.gap(expected: stateMachine.appliedIndex + 1, got: entry.index))
                continue
            }
            stateMachine = StateMachine(appliedIndex: entry.index, digest: StateMachine.digest(stateMachine.digest, entry))
            if entry.type == .confChange {
                confState = raw.applyConfChange(try! ConfChange(decoding: entry.data))
            }
            try applied(.entry(entry, stateMachine))
        }
        raw.advance(ready)
        snapshotIfAskedFor()
        return ready
    }

    enum Applied {
        case entry(Entry, StateMachine)
        case snapshot(Snapshot, StateMachine)
        case gap(expected: UInt64, got: UInt64)
    }

    /// Log compaction: snapshot the applied state and drop entries up to `retain` before it.
    func compact(retain: UInt64) {
        guard raw != nil, snapshotAppliedState() else { return }
        dropEntries(retain: retain)
    }

    /// Drops applied entries up to `retain` before the applied index without a new snapshot, as
    /// the server frees memory between snapshots; a follower that needs them then waits for
    /// `snapshotIfAskedFor()`.
    func freeMemory(retain: UInt64) {
        guard raw != nil else { return }
        dropEntries(retain: retain)
    }

    /// Makes the snapshot the storage asked for when a follower needed entries already dropped.
    func snapshotIfAskedFor() {
        if raw != nil, storage.needsSnapshot { snapshotAppliedState() }
    }

    @discardableResult
    private func snapshotAppliedState() -> Bool {
        let index = stateMachine.appliedIndex
        guard index > latestSnapshotIndex, index <= storage.lastIndex else { return false }
        let snapshot = try! storage.createSnapshot(at: index, confState: confState, data: stateMachine.encoded)
        disk.saveApplicationSnapshot(snapshot)
        latestSnapshotIndex = index
        return true
    }

    private func dropEntries(retain: UInt64) {
        let index = stateMachine.appliedIndex
        let through = index > retain ? index - retain : 0
        if through >= storage.firstIndex, through <= storage.lastIndex {
            try! storage.compact(through: through)
        }
    }
}
