extension Snapshot {
    /// The starting point of a brand-new cluster: every founding member applies this same
    /// snapshot to its empty storage before creating its `RawNode`. Recording the founding
    /// membership as a snapshot at index 1 (rather than as a special initial state) lets a
    /// member that joins later learn it the ordinary way: it lacks index 1, so the leader sends
    /// it a snapshot, and every snapshot carries the membership as of its index.
    /// `data` is the application's state at that point (the same on every founding member).
    public static func bootstrap(_ confState: ConfState, data: [UInt8] = []) -> Snapshot {
        Snapshot(metadata: SnapshotMetadata(index: 1, term: 1, confState: confState), data: data)
    }
}
