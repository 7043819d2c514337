import Raft

/// The position of a saved snapshot, as recorded in the WAL. Replay starts after the marker of
/// the snapshot the server loaded, which ties the log to that snapshot file.
public struct SnapshotMarker: Hashable, Sendable, CustomStringConvertible {
    public var index: UInt64
    public var term: UInt64

    public init(index: UInt64, term: UInt64) {
        self.index = index
        self.term = term
    }

    public init(_ metadata: SnapshotMetadata) {
        self.init(index: metadata.index, term: metadata.term)
    }

    /// The empty snapshot every log starts from: a member with no snapshot replays from here.
    public static let initial = SnapshotMarker(index: 0, term: 0)

    public var description: String { "(index \(index), term \(term))" }
}
