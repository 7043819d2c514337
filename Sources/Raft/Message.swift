/// What a message asks or answers. Raw values match etcd's raftpb numbering, which keeps logs
/// and packet dumps comparable with etcd's.
public enum MessageType: UInt8, Hashable, Sendable, CaseIterable {
    /// Local: start an election (ticks and `campaign()` create it).
    case hup = 0
    /// Local: a leader's heartbeat timer fired.
    case beat = 1
    /// A proposal: local, or forwarded by a follower to its leader.
    case prop = 2
    /// Leader → member: entries after (`index`, `logTerm`) and the leader's commit index.
    case app = 3
    /// Member → leader: accepted through `index`, or rejected with a backtracking hint.
    case appResp = 4
    case vote = 5
    case voteResp = 6
    /// Leader → member: a snapshot for a member behind the leader's first index.
    case snap = 7
    case heartbeat = 8
    case heartbeatResp = 9
    /// Local: the transport could not reach `from`.
    case unreachable = 10
    /// Local: the transport finished (or failed) sending a snapshot to `from`.
    case snapStatus = 11
    /// Local: a leader's check-quorum timer fired.
    case checkQuorum = 12
    /// Local: hand leadership to `from` (the transferee).
    case transferLeader = 13
    /// Leader → transferee: start an election now, skipping pre-vote.
    case timeoutNow = 14
    /// A linearizable read request: local, or forwarded by a follower to its leader.
    case readIndex = 15
    /// Leader → member: the read index for the request named by `context`.
    case readIndexResp = 16
    case preVote = 17
    case preVoteResp = 18

    /// Types only the node itself creates; the network must never deliver them.
    public var isLocal: Bool {
        switch self {
        case .hup, .beat, .unreachable, .snapStatus, .checkQuorum, .transferLeader: return true
        default: return false
        }
    }
}

/// One Raft message: a plain value the transport carries between members (see
/// `Message.encode()`). Which fields mean something depends on `type`.
public struct Message: Hashable, Sendable {
    public var type: MessageType
    public var to: UInt64
    public var from: UInt64
    /// The sender's term. Zero only on proposals and read requests, which are forwarded to the
    /// leader and are valid in whatever term it receives them.
    public var term: UInt64
    /// `app`: term of the entry at `index`. Vote requests: the candidate's last term.
    /// Rejected `appResp`: term of the entry at `rejectHint` (the follower's backtracking hint).
    public var logTerm: UInt64
    /// `app`: index of the entry before `entries`. `appResp`: last index accepted (or the index
    /// rejected). Vote requests: the candidate's last index. `readIndexResp`: the read index.
    public var index: UInt64
    public var entries: [Entry]
    /// The sender's commit index (on heartbeats, capped at what the receiver is known to hold).
    public var commit: UInt64
    public var snapshot: Snapshot?
    public var reject: Bool
    /// Rejected `appResp`: the highest index at which the logs may still match.
    public var rejectHint: UInt64
    /// Read requests and their answers: the caller's request id. Heartbeats: the read round.
    /// Vote requests: `Message.leaderTransferContext` when the election is a leader transfer.
    public var context: [UInt8]

    public init(type: MessageType, to: UInt64 = 0, from: UInt64 = 0, term: UInt64 = 0,
                logTerm: UInt64 = 0, index: UInt64 = 0, entries: [Entry] = [], commit: UInt64 = 0,
                snapshot: Snapshot? = nil, reject: Bool = false, rejectHint: UInt64 = 0,
                context: [UInt8] = []) {
        self.type = type
        self.to = to
        self.from = from
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.snapshot = snapshot
        self.reject = reject
        self.rejectHint = rejectHint
        self.context = context
    }

    /// Marks a vote request as part of a leader transfer, which voters honour even while they
    /// still hear from the current leader.
    public static let leaderTransferContext: [UInt8] = Array("leader-transfer".utf8)
}
