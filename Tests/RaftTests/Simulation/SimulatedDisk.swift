@testable import Raft

/// One write a member makes to its disk, in the order it makes them.
enum DiskRecord {
    /// A snapshot received from the leader: it replaces the whole log.
    case leaderSnapshot(Snapshot)
    case entry(Entry)
    case hardState(HardState)
}

/// What survives a crash. Writes go to an unsynced buffer first (the operating system's page
/// cache); `sync` makes them durable. A crash keeps an arbitrary prefix of the buffer, as a
/// write-ahead log whose torn tail is cut off at the first bad record would.
struct SimulatedDisk {
    let owner: UInt64
    private(set) var snapshot: Snapshot
    /// Entries after `snapshot`'s index.
    private(set) var entries: [Entry] = []
    private(set) var hardState = HardState.empty
    private(set) var unsynced: [DiskRecord] = []

    init(owner: UInt64, snapshot: Snapshot) {
        self.owner = owner
        self.snapshot = snapshot
    }

    mutating func write(_ record: DiskRecord) {
        unsynced.append(record)
    }

    mutating func sync() {
        unsynced.forEach { makeDurable($0) }
        unsynced = []
    }

    /// Loses the unsynced tail from a random point on.
    mutating func crash(keeping count: Int) {
        unsynced[..<count].forEach { makeDurable($0) }
        unsynced = []
    }

    /// The application's own snapshot (log compaction), saved and synced at once; entries
    /// after it stay. A newer snapshot already on disk (one from the leader) is kept.
    mutating func saveApplicationSnapshot(_ newSnapshot: Snapshot) {
        sync()
        guard newSnapshot.metadata.index > snapshot.metadata.index else { return }
        snapshot = newSnapshot
        entries.removeAll { $0.index <= newSnapshot.metadata.index }
    }

    private mutating func makeDurable(_ record: DiskRecord) {
        switch record {
        case .leaderSnapshot(let newSnapshot):
            snapshot = newSnapshot
            entries = []
        case .entry(let entry):
            let snapshotIndex = snapshot.metadata.index
            guard entry.index > snapshotIndex else { return }
            let position = Int(entry.index - snapshotIndex - 1)
            precondition(position <= entries.count, "disk of \(owner): entry \(entry.index) leaves a gap after snapshot \(snapshotIndex) and \(entries.count) entries")
            entries.removeSubrange(position...)
            entries.append(entry)
        case .hardState(let state):
            hardState = state
        }
    }

    /// A storage holding exactly what is durable, as a restarted member reads it back.
    func load() -> MemoryStorage {
        let storage = MemoryStorage()
        if snapshot.metadata != SnapshotMetadata() {
            try! storage.applySnapshot(snapshot)
        }
        storage.append(entries)
        storage.setHardState(hardState)
        return storage
    }
}
