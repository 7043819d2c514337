/// The parameters of one Raft member. Time is counted in ticks: the caller decides how long a
/// tick is (the server uses its heartbeat interval).
public struct RaftConfig: Hashable, Sendable {
    /// This member's id; never zero (zero means "nobody").
    public var id: UInt64
    /// A follower that hears nothing from a leader for a random number of ticks in
    /// `electionTick..<2*electionTick` starts an election.
    public var electionTick: Int
    /// A leader sends heartbeats every `heartbeatTick` ticks; must be below `electionTick`.
    public var heartbeatTick: Int
    /// The last index the application had applied before a restart; nothing at or below it is
    /// handed out again.
    public var applied: UInt64
    /// Upper bound on the entry bytes in one append message.
    public var maxSizePerMsg: UInt64
    /// Upper bound on the committed entry bytes handed out in one `Ready`.
    public var maxCommittedSizePerReady: UInt64
    /// How many append messages may be unacknowledged per follower while replicating.
    public var maxInflightMsgs: Int
    /// A leader steps down if a quorum has not been heard from within an election timeout, and
    /// members ignore vote requests while they still hear from a leader.
    public var checkQuorum: Bool
    /// Raft thesis §9.6: a candidate first asks whether it could win before raising its term, so
    /// a member rejoining from a partition does not depose a working leader.
    public var preVote: Bool

    public init(id: UInt64, electionTick: Int = 10, heartbeatTick: Int = 1, applied: UInt64 = 0,
                maxSizePerMsg: UInt64 = 1 << 20, maxCommittedSizePerReady: UInt64 = 1 << 20,
                maxInflightMsgs: Int = 256, checkQuorum: Bool = false, preVote: Bool = false) {
        self.id = id
        self.electionTick = electionTick
        self.heartbeatTick = heartbeatTick
        self.applied = applied
        self.maxSizePerMsg = maxSizePerMsg
        self.maxCommittedSizePerReady = maxCommittedSizePerReady
        self.maxInflightMsgs = maxInflightMsgs
        self.checkQuorum = checkQuorum
        self.preVote = preVote
    }

    func validate() {
        precondition(id != 0, "member id 0 is reserved for 'nobody'")
        precondition(heartbeatTick > 0, "heartbeatTick must be positive")
        precondition(electionTick > heartbeatTick, "electionTick must exceed heartbeatTick")
        precondition(maxInflightMsgs > 0, "maxInflightMsgs must be positive")
    }
}
