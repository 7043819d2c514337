// Linearizable reads through the leader's commit index; see `ReadIndexRounds` for the batching.

extension RaftNode {
    /// Whether waiting reads can start a round: none is in flight, and the leader has
    /// committed an entry of its term (a new leader's commit index may lag behind what its
    /// predecessor committed).
    var canStartReadRound: Bool {
        guard let state = leaderState else { return false }
        return state.reads.inFlight == nil && !state.reads.waiting.isEmpty && log.term(at: log.committed) == term
    }

    /// Starts a confirmation round for every waiting read. `RawNode` calls this when it
    /// collects a `Ready`, so all reads that arrived since the last one share the round.
    func startReadRoundIfReady() {
        guard canStartReadRound, let state = leaderState else { return }
        let round = state.reads.startRound(index: log.committed, leader: id)
        if membership.tally(round.acks) == .won {
            completeReadRoundIfConfirmed(state)  // The only voter confirms itself.
        } else {
            broadcastHeartbeat(context: ReadIndexRounds.context(forRound: round.id))
        }
    }

    func acknowledgeReadRound(_ roundID: UInt64, from member: UInt64, _ state: LeaderState) {
        guard state.reads.inFlight?.id == roundID else { return }  // An earlier round's echo.
        state.reads.inFlight?.acks[member] = true
        completeReadRoundIfConfirmed(state)
    }

    /// Answers every read of the in-flight round once a quorum has confirmed it.
    func completeReadRoundIfConfirmed(_ state: LeaderState) {
        guard let round = state.reads.inFlight, membership.tally(round.acks) == .won else { return }
        state.reads.inFlight = nil
        for request in round.requests {
            if request.requester == id {
                addReadState(ReadState(index: round.index, context: request.context))
            } else {
                send(Message(type: .readIndexResp, to: request.requester, index: round.index,
                             context: request.context))
            }
        }
    }
}
