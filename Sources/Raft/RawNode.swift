/// Whether the transport managed to deliver a snapshot.
public enum SnapshotStatus: Hashable, Sendable {
    case finished
    case failed
}

/// The Raft core as the application drives it: feed it ticks, messages from peers and
/// requests; collect the resulting work with `ready()`; report it done with `advance(_:)`.
///
/// Contract (see `Ready` for the steps): between `ready()` and `advance(_:)` the node may still
/// be ticked and stepped, but `ready()` must not be called again. Nothing is sent before the
/// state it depends on is persisted. Not thread-safe: one thread drives a node.
public final class RawNode {
    let node: RaftNode
    private var lastSoftState: SoftState
    private var lastHardState: HardState
    private var awaitingAdvance = false

    /// - Parameters:
    ///   - storage: what has been persisted so far (empty for a member that is joining).
    ///   - random: the source of election jitter; seed it to make runs reproducible.
    public init(config: RaftConfig, storage: any RaftStorage, random: some RandomNumberGenerator) {
        node = RaftNode(config: config, storage: storage, random: random)
        lastSoftState = node.softState
        lastHardState = node.hardState
    }

    /// Advances logical time by one tick (drives elections and heartbeats).
    public func tick() {
        node.tick()
        node.checkInvariants()
    }

    /// Starts an election now, as if the election timeout had passed.
    public func campaign() {
        defer { node.checkInvariants() }
        try? node.step(Message(type: .hup, from: node.id))
    }

    /// Proposes `data` for the log; a follower forwards it to the leader. Success means only
    /// that it was appended or forwarded: it may still be lost, and the application learns of
    /// its commit when it shows up in `committedEntries`.
    public func propose(_ data: [UInt8]) throws(RaftError) {
        defer { node.checkInvariants() }
        try node.step(Message(type: .prop, from: node.id, entries: [Entry(term: 0, index: 0, data: data)]))
    }

    /// Proposes a membership change; apply it with `applyConfChange(_:)` once committed.
    public func proposeConfChange(_ change: ConfChange) throws(RaftError) {
        defer { node.checkInvariants() }
        let entry = Entry(term: 0, index: 0, type: .confChange, data: change.encode())
        try node.step(Message(type: .prop, from: node.id, entries: [entry]))
    }

    /// Takes in a message from a peer.
    public func step(_ message: Message) throws(RaftError) {
        guard !message.type.isLocal else { throw .localMessageFromNetwork(message.type) }
        defer { node.checkInvariants() }
        try node.step(message)
    }

    /// Asks for a linearizable read. The answer arrives as a `ReadState` with this `context`
    /// (which should be unique) once a quorum has confirmed the leader; it may never arrive if
    /// leadership changes meanwhile, so callers retry after a timeout.
    public func readIndex(context: [UInt8]) throws(RaftError) {
        defer { node.checkInvariants() }
        try node.step(Message(type: .readIndex, from: node.id, context: context))
    }

    /// Hands leadership to `transferee`; only the leader can do this.
    public func transferLeadership(to transferee: UInt64) throws(RaftError) {
        defer { node.checkInvariants() }
        try node.step(Message(type: .transferLeader, from: transferee))
    }

    /// Applies a committed membership change and returns the configuration it results in.
    @discardableResult
    public func applyConfChange(_ change: ConfChange) -> ConfState {
        defer { node.checkInvariants() }
        return node.applyConfChange(change)
    }

    /// Tells the leader that a message to `id` could not be delivered.
    public func reportUnreachable(_ id: UInt64) {
        defer { node.checkInvariants() }
        try? node.step(Message(type: .unreachable, from: id))
    }

    /// Tells the leader how sending a snapshot to `id` ended. The transport must report every
    /// `snap` message it handles: the leader sends nothing else to `id` until it hears.
    public func reportSnapshot(to id: UInt64, status: SnapshotStatus) {
        defer { node.checkInvariants() }
        try? node.step(Message(type: .snapStatus, from: id, reject: status == .failed))
    }

    public var hasReady: Bool {
        guard !awaitingAdvance else { return false }
        let log = node.log
        return node.softState != lastSoftState
            || node.hardState != lastHardState
            || log.unstable.snapshot != nil
            || !log.unstable.entries.isEmpty
            || log.hasUnappliedCommittedEntries
            || !node.outbox.isEmpty
            || !node.readStates.isEmpty
            || node.canStartReadRound
    }

    /// Collects the work to do now; see `Ready` for what to do with it.
    public func ready() -> Ready {
        precondition(!awaitingAdvance, "ready() called again before advance()")
        node.startReadRoundIfReady()
        let softState = node.softState
        let hardState = node.hardState
        let entries = node.log.unstable.entries
        let snapshot = node.log.unstable.snapshot
        let ready = Ready(
            softState: softState == lastSoftState ? nil : softState,
            hardState: hardState == lastHardState ? nil : hardState,
            readStates: node.takeReadStates(),
            entries: entries,
            snapshot: snapshot,
            committedEntries: node.log.unappliedCommittedEntries(),
            messages: node.takeMessages(),
            mustSync: !entries.isEmpty || snapshot != nil
                || hardState.term != lastHardState.term || hardState.vote != lastHardState.vote
        )
        lastSoftState = softState
        awaitingAdvance = true
        return ready
    }

    /// Reports that `ready` has been handled: persisted, sent and applied.
    public func advance(_ ready: Ready) {
        precondition(awaitingAdvance, "advance() without a ready()")
        defer { node.checkInvariants() }
        awaitingAdvance = false
        if let hardState = ready.hardState {
            lastHardState = hardState
        }
        if let last = ready.committedEntries.last {
            node.log.markApplied(through: last.index)
        } else if let snapshot = ready.snapshot {
            node.log.markApplied(through: snapshot.metadata.index)
        }
        if let snapshot = ready.snapshot {
            node.log.markSnapshotPersisted(at: snapshot.metadata.index)
        }
        if let last = ready.entries.last {
            node.log.markPersisted(through: last.index, term: last.term)
            node.leaderPersisted(through: last.index, term: last.term)
        }
    }

    public var status: Status {
        Status(id: node.id, hardState: node.hardState, softState: node.softState, applied: node.log.applied,
               progress: node.leaderState?.progress, leadTransferee: node.leaderState?.transferee,
               confState: node.membership.confState)
    }
}
