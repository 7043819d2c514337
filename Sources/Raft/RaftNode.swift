/// What a member is doing in its current term. Each role carries only the state it needs:
/// vote tallies exist only while campaigning, replication progress only on a leader.
enum Role {
    case follower
    /// Asking whether it could win at `term + 1` without raising its term (pre-vote).
    case preCandidate(votes: [UInt64: Bool])
    case candidate(votes: [UInt64: Bool])
    case leader(LeaderState)

    var kind: RoleKind {
        switch self {
        case .follower: return .follower
        case .preCandidate: return .preCandidate
        case .candidate: return .candidate
        case .leader: return .leader
        }
    }
}

/// The Raft state machine of one member. It does no I/O and reads no clock: it changes only
/// when ticked or stepped, and it records what must be persisted and sent for `RawNode` to
/// hand out in a `Ready`. The behaviour is split by concern into the `RaftNode+…` files.
final class RaftNode {
    let id: UInt64
    let config: RaftConfig
    var term: UInt64 = 0
    /// Who this member voted for in `term` (zero: nobody yet).
    var vote: UInt64 = 0
    var log: RaftLog
    var membership: Membership
    var role: Role = .follower
    /// The leader of `term` as far as this member knows (zero: unknown).
    var leader: UInt64 = 0
    /// Followers and candidates: ticks since the last election timeout or, for followers,
    /// since they last heard from the leader. Leaders: ticks since the last quorum check.
    var electionElapsed = 0
    var heartbeatElapsed = 0
    /// Drawn from `electionTick..<2*electionTick` at every role change, so that members
    /// rarely time out together and split the vote.
    var randomizedElectionTimeout = 0
    private var random: any RandomNumberGenerator
    /// Messages waiting for the next `Ready`.
    private(set) var outbox: [Message] = []
    /// Answers to read requests waiting for the next `Ready`.
    private(set) var readStates: [ReadState] = []

    init(config: RaftConfig, storage: any RaftStorage, random: any RandomNumberGenerator) {
        config.validate()
        id = config.id
        self.config = config
        self.random = random
        log = RaftLog(storage: storage, maxApplyBytes: config.maxCommittedSizePerReady)
        let (hardState, confState) = storage.initialState()
        membership = Membership(confState)
        if hardState != .empty {
            term = hardState.term
            vote = hardState.vote
            log.loadCommitted(hardState.commit)
        }
        if config.applied > 0 {
            log.markApplied(through: config.applied)
        }
        becomeFollower(term: term, leader: 0)
    }

    var hardState: HardState {
        HardState(term: term, vote: vote, commit: log.committed)
    }

    var softState: SoftState {
        SoftState(leader: leader, role: role.kind)
    }

    var leaderState: LeaderState? {
        if case .leader(let state) = role { return state }
        return nil
    }

    /// Structural invariants, cheap enough to check after every input (preconditions survive
    /// optimised builds, so a broken one stops the member before it can spread damage).
    func checkInvariants() {
        precondition(log.applied <= log.committed && log.committed <= log.lastIndex,
                     "applied \(log.applied), committed \(log.committed), last \(log.lastIndex) out of order")
        precondition(log.committed + 1 >= log.firstIndex, "entries above the commit index were compacted")
        switch role {
        case .leader(let state):
            precondition(leader == id && vote == id, "leader \(id) of term \(term) did not vote for itself")
            for (member, progress) in state.progress {
                precondition(progress.match < progress.next && progress.next <= log.lastIndex + 1,
                             "progress of \(member) (match \(progress.match), next \(progress.next)) beyond the log")
            }
        case .candidate:
            precondition(vote == id && leader == 0, "candidate \(id) must vote for itself and know no leader")
        case .preCandidate, .follower:
            break
        }
    }

    /// Only voters may campaign; learners and removed members wait to be told.
    var isPromotable: Bool {
        membership.isVoter(id)
    }

    // MARK: Outgoing messages

    /// Queues a message. Terms follow one rule: votes and their answers carry the term they
    /// are about (set by the caller); proposals and read requests carry none, as they are
    /// forwarded to whoever leads; everything else carries the sender's current term.
    func send(_ message: Message) {
        var message = message
        message.from = id
        switch message.type {
        case .vote, .voteResp, .preVote, .preVoteResp:
            precondition(message.term != 0, "\(message.type) must carry a term")
        case .prop, .readIndex:
            precondition(message.term == 0, "\(message.type) must not carry a term")
        default:
            precondition(message.term == 0, "\(message.type) gets the current term")
            message.term = term
        }
        outbox.append(message)
    }

    func takeMessages() -> [Message] {
        defer { outbox = [] }
        return outbox
    }

    func addReadState(_ state: ReadState) {
        readStates.append(state)
    }

    func takeReadStates() -> [ReadState] {
        defer { readStates = [] }
        return readStates
    }

    // MARK: Role transitions

    /// Clears what belongs to one term and one role; the vote survives unless the term changes.
    private func reset(term newTerm: UInt64) {
        if term != newTerm {
            term = newTerm
            vote = 0
        }
        leader = 0
        electionElapsed = 0
        heartbeatElapsed = 0
        randomizedElectionTimeout = config.electionTick + Int.random(in: 0..<config.electionTick, using: &random)
    }

    func becomeFollower(term newTerm: UInt64, leader newLeader: UInt64) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    /// Pre-candidacy changes neither term nor vote: it only asks whether an election could win.
    func becomePreCandidate() {
        precondition(role.kind != .leader, "a leader cannot become a pre-candidate")
        role = .preCandidate(votes: [:])
        leader = 0
    }

    func becomeCandidate() {
        precondition(role.kind != .leader, "a leader cannot become a candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate(votes: [:])
    }

    func becomeLeader() {
        precondition(role.kind == .candidate, "only a candidate can become leader")
        reset(term: term)
        leader = id
        let lastIndex = log.lastIndex
        var progress: [UInt64: Progress] = [:]
        for member in membership.members {
            progress[member] = Progress(next: lastIndex + 1, isLearner: membership.isLearner(member),
                                        maxInflight: config.maxInflightMsgs)
        }
        // What the leader has persisted counts as replicated on it; the rest counts once the
        // application reports it persisted.
        progress[id]?.match = log.unstable.offset - 1
        progress[id]?.becomeReplicate()
        // The log may hold a membership change from an earlier term that is not applied yet;
        // refusing new changes until everything present is applied covers it without a scan.
        let state = LeaderState(progress: progress, pendingConfIndex: lastIndex)
        state.ownRemovalIndex = unappliedOwnRemoval()
        role = .leader(state)
        // An entry of the new term lets earlier entries commit (Raft §5.4.2) and tells the
        // leader its commit index is current, which reads need.
        appendAsLeader([Entry(term: 0, index: 0)])
        broadcastAppend()
    }
}
