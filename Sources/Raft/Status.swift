/// A snapshot of a member's Raft state, for monitoring and for the server's status calls.
public struct Status: Sendable {
    public var id: UInt64
    public var hardState: HardState
    public var softState: SoftState
    public var applied: UInt64
    /// Every member's replication progress; only a leader tracks it.
    public var progress: [UInt64: Progress]?
    /// The member leadership is being handed to, if a transfer is under way.
    public var leadTransferee: UInt64?
    public var confState: ConfState

    public var term: UInt64 { hardState.term }
    public var commit: UInt64 { hardState.commit }
    public var leader: UInt64 { softState.leader }
    public var role: RoleKind { softState.role }
}
