/// The role a member plays in its current term.
public enum RoleKind: Hashable, Sendable {
    case follower
    /// Asking for pre-votes, without having raised its term yet.
    case preCandidate
    case candidate
    case leader
}

/// What changes often and need not be persisted: who leads and what this member is.
public struct SoftState: Hashable, Sendable {
    /// Zero when no leader is known.
    public var leader: UInt64
    public var role: RoleKind
}

/// The answer to a read request: once the application has applied `index`, it may serve the
/// read named by `context` from its state.
public struct ReadState: Hashable, Sendable {
    public var index: UInt64
    public var context: [UInt8]
}

/// Work for the application. Handle it in this order, then call `RawNode.advance(_:)`:
///
/// 1. Persist `snapshot`, `entries` and `hardState` (and flush to disk when `mustSync`), then
///    record them in the storage the node reads (`MemoryStorage.applySnapshot`, `append`,
///    `setHardState`).
/// 2. Only then send `messages`: a vote or an acknowledgement promises that its state survives
///    a crash, so it must not leave before that state is on disk.
/// 3. Apply `snapshot` and then `committedEntries` to the state machine (and call
///    `applyConfChange` for each committed membership change).
/// 4. `advance(ready)`.
public struct Ready: Sendable {
    /// Set only when the leader or role changed since the last `Ready`.
    public var softState: SoftState?
    /// Set only when term, vote or commit changed since the last `Ready`.
    public var hardState: HardState?
    public var readStates: [ReadState]
    /// New log entries to persist; an entry replaces any persisted entry at its index and
    /// everything after it.
    public var entries: [Entry]
    /// A snapshot from the leader, replacing the whole log.
    public var snapshot: Snapshot?
    /// Entries committed and not yet applied, in log order.
    public var committedEntries: [Entry]
    public var messages: [Message]
    /// Whether step 1 must reach the disk before step 2. False when only the commit index moved:
    /// losing that in a crash is harmless, as the leader tells it again.
    public var mustSync: Bool
}
