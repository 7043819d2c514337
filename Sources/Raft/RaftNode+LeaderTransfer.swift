// Leadership transfer (Raft thesis §3.10): bring the transferee's log up to date, then tell it
// to start an election at once. Proposals are refused meanwhile so it can catch up.

extension RaftNode {
    /// A leader that applied its own removal (or demotion) keeps leading without counting
    /// itself, refusing proposals, until the most up-to-date voter takes over. Simply stepping
    /// down could stall the cluster: voters that have not yet learned the removal is committed
    /// still need this member's vote, which it refuses to a candidate whose log is shorter.
    /// The transferee gets this member's whole log first, so that vote is granted.
    func handOffLeadership(_ state: LeaderState) {
        let successor = membership.voters.max { a, b in
            let (matchA, matchB) = (state.progress[a]?.match ?? 0, state.progress[b]?.match ?? 0)
            return matchA < matchB || (matchA == matchB && a > b)
        }
        guard let successor else { return }
        try? startLeaderTransfer(to: successor, state)
    }

    func startLeaderTransfer(to transferee: UInt64, _ state: LeaderState) throws(RaftError) {
        guard membership.isVoter(transferee) else { throw .transfereeNotVoter }
        guard transferee != id, state.transferee != transferee else { return }
        state.transferee = transferee
        // The transfer gets one election timeout to finish (see `tickLeader`).
        electionElapsed = 0
        if state.progress[transferee]?.match == log.lastIndex {
            tellTransfereeToCampaign(transferee)
        } else {
            sendAppend(to: transferee)
        }
    }

    /// The transferee holds the whole log: it may start its election. A leader that is no
    /// longer a voter steps down at once, as it has nothing left to lead with; should the
    /// message be lost, the transferee still wins once its election timeout passes.
    func tellTransfereeToCampaign(_ transferee: UInt64) {
        send(Message(type: .timeoutNow, to: transferee))
        if !isPromotable {
            becomeFollower(term: term, leader: 0)
        }
    }
}
