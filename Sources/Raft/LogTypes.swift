// The values Raft persists and replicates. Fixed API: the WAL stores exactly these.

/// What an entry carries: an application command, or a membership change.
public enum EntryType: UInt8, Hashable, Sendable {
    case normal = 0
    case confChange = 1
}

/// One slot of the replicated log.
public struct Entry: Hashable, Sendable {
    public var term: UInt64
    public var index: UInt64
    public var type: EntryType
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, type: EntryType = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.type = type
        self.data = data
    }
}

/// The state a member must persist before it answers any message that depends on it.
public struct HardState: Hashable, Sendable {
    public var term: UInt64
    public var vote: UInt64
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: UInt64 = 0, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public static let empty = HardState()
}

/// Which members vote and which only learn, as of some log position.
public struct ConfState: Hashable, Sendable {
    public var voters: [UInt64]
    public var learners: [UInt64]

    public init(voters: [UInt64] = [], learners: [UInt64] = []) {
        self.voters = voters
        self.learners = learners
    }
}

public struct SnapshotMetadata: Hashable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var confState: ConfState

    public init(index: UInt64 = 0, term: UInt64 = 0, confState: ConfState = ConfState()) {
        self.index = index
        self.term = term
        self.confState = confState
    }
}

/// The application state up to `metadata.index`, replacing every entry up to it.
public struct Snapshot: Hashable, Sendable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata = SnapshotMetadata(), data: [UInt8] = []) {
        self.metadata = metadata
        self.data = data
    }

    public var isEmpty: Bool { metadata.index == 0 }
}
