/// What only a leader tracks. It lives inside `Role.leader`, so no other role can reach it,
/// and it is created afresh each time a member wins an election.
///
/// A class so that the many small updates to one member's progress happen in place.
final class LeaderState {
    /// Every member's replication progress, including the leader's own.
    var progress: [UInt64: Progress]
    /// A membership change proposed at or below this index may still be unapplied; no other
    /// change may be proposed until the leader has applied up to it.
    var pendingConfIndex: UInt64
    /// The index of a membership change in the log that removes or demotes this leader and is
    /// not applied yet; proposals are refused until it applies (see `RaftError.leaderBeingRemoved`).
    var ownRemovalIndex: UInt64?
    /// The member leadership is being handed to; proposals are refused meanwhile.
    var transferee: UInt64?
    var reads = ReadIndexRounds()

    init(progress: [UInt64: Progress], pendingConfIndex: UInt64) {
        self.progress = progress
        self.pendingConfIndex = pendingConfIndex
    }
}

/// Linearizable reads without writing to the log (Raft thesis §6.4): a read may be served at
/// the commit index once a quorum has confirmed, after the read arrived, that this member is
/// still the leader.
///
/// Reads are batched: a round (a heartbeat broadcast carrying the round's id) starts when the
/// application collects a `Ready` and covers every read that arrived since; at most one round
/// is in flight, and reads arriving meanwhile wait for the next. A burst of reads therefore
/// costs one or two rounds, whatever its size.
struct ReadIndexRounds {
    struct Request {
        /// The member that asked; the leader itself for local reads.
        var requester: UInt64
        var context: [UInt8]
    }

    struct Round {
        let id: UInt64
        /// The commit index when the round started; every read in it is answered with it.
        let index: UInt64
        let requests: [Request]
        /// Voters that have confirmed this round (the leader confirms its own).
        var acks: [UInt64: Bool]
    }

    /// Reads that arrived after the in-flight round started, or before the leader had
    /// committed an entry of its own term (until then its commit index may be stale).
    private(set) var waiting: [Request] = []
    var inFlight: Round?
    private var nextRoundID: UInt64 = 1

    mutating func enqueue(_ request: Request) {
        waiting.append(request)
    }

    /// Moves every waiting read into a new round answered at `index`.
    mutating func startRound(index: UInt64, leader: UInt64) -> Round {
        precondition(inFlight == nil, "a read round is already in flight")
        let round = Round(id: nextRoundID, index: index, requests: waiting, acks: [leader: true])
        nextRoundID += 1
        waiting = []
        inFlight = round
        return round
    }

    /// The heartbeat context naming the in-flight round, so acknowledgements can be matched.
    var inFlightContext: [UInt8] {
        inFlight.map { Self.context(forRound: $0.id) } ?? []
    }

    static func context(forRound id: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: id >> (56 - 8 * UInt64($0))) }
    }

    static func round(fromContext context: [UInt8]) -> UInt64? {
        guard context.count == 8 else { return nil }
        return context.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
