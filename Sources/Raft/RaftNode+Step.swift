// Every input goes through `step`: first the rules about terms that hold for every role, then
// the handler of the current role.

extension RaftNode {
    func step(_ message: Message) throws(RaftError) {
        guard admitsTerm(of: message) else { return }
        switch message.type {
        case .hup:
            campaignIfAllowed()
        case .vote, .preVote:
            answerVoteRequest(message)
        default:
            switch role {
            case .follower:
                try stepFollower(message)
            case .preCandidate, .candidate:
                try stepCandidate(message)
            case .leader(let state):
                try stepLeader(message, state)
            }
        }
    }

    /// Applies Raft's term rules (§5.1) and says whether the message should be handled further.
    /// A higher term makes this member a follower of that term, except for pre-votes, which
    /// are about a term nobody has entered yet. A lower term means the sender is stale.
    private func admitsTerm(of message: Message) -> Bool {
        if message.term == 0 || message.term == term {
            return true
        }
        if message.term > term {
            if message.type == .vote || message.type == .preVote {
                // With check-quorum, a member that heard from a leader within the last election
                // timeout ignores elections: the leader is probably fine and the candidate is
                // probably a member returning from a partition. Leader transfers are exempt.
                let isTransfer = message.context == Message.leaderTransferContext
                let inLease = config.checkQuorum && leader != 0 && electionElapsed < config.electionTick
                if inLease && !isTransfer { return false }
            }
            switch message.type {
            case .preVote:
                break
            case .preVoteResp where !message.reject:
                // A granted pre-vote carries the term we would campaign in; the term changes
                // only when the real election starts.
                break
            case .app, .heartbeat, .snap:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: 0)
            }
            return true
        }
        if message.type == .heartbeat || message.type == .app {
            // Tell a stale leader our term so it steps down. Votes would not tell it: with
            // check-quorum or pre-vote they may never raise its term, and learners and removed
            // members never campaign at all.
            send(Message(type: .appResp, to: message.from))
        } else if message.type == .vote || message.type == .preVote {
            // Reject with our term (Raft §5.1) rather than ignore: a candidate stuck at a lower
            // term would otherwise keep asking in terms we have left behind, never catching up.
            let responseType: MessageType = message.type == .vote ? .voteResp : .preVoteResp
            send(Message(type: responseType, to: message.from, term: term, reject: true))
        }
        return false
    }

    private func stepFollower(_ message: Message) throws(RaftError) {
        switch message.type {
        case .prop, .readIndex:
            guard leader != 0 else { throw .noLeader }
            var forwarded = message
            forwarded.to = leader
            send(forwarded)
        case .app:
            heardFromLeader(message.from)
            handleAppend(message)
        case .heartbeat:
            heardFromLeader(message.from)
            handleHeartbeat(message)
        case .snap:
            heardFromLeader(message.from)
            handleSnapshot(message)
        case .timeoutNow:
            campaignIfAllowed(leaderTransfer: true)
        case .readIndexResp:
            addReadState(ReadState(index: message.index, context: message.context))
        case .transferLeader:
            throw .notLeader
        default:
            break
        }
    }

    private func heardFromLeader(_ id: UInt64) {
        electionElapsed = 0
        leader = id
    }

    private func stepCandidate(_ message: Message) throws(RaftError) {
        switch message.type {
        case .prop, .readIndex:
            throw .noLeader
        case .transferLeader:
            throw .notLeader
        case .app, .heartbeat, .snap:
            // Someone won this term; follow it.
            becomeFollower(term: message.term, leader: message.from)
            try stepFollower(message)
        case .preVoteResp, .voteResp:
            countVote(message)
        default:
            break
        }
    }

    private func stepLeader(_ message: Message, _ state: LeaderState) throws(RaftError) {
        switch message.type {
        case .beat:
            broadcastHeartbeat()
        case .checkQuorum:
            stepDownUnlessQuorumActive(state)
        case .prop:
            try appendProposal(message.entries, state)
        case .readIndex:
            state.reads.enqueue(ReadIndexRounds.Request(requester: message.from, context: message.context))
        case .transferLeader:
            try startLeaderTransfer(to: message.from, state)
        case .appResp:
            handleAppendResponse(message, state)
        case .heartbeatResp:
            handleHeartbeatResponse(message, state)
        case .snapStatus:
            handleSnapshotStatus(message, state)
        case .unreachable:
            // An append was probably lost; stop streaming and probe again.
            if state.progress[message.from]?.state == .replicate {
                state.progress[message.from]?.becomeProbe()
            }
        default:
            break
        }
    }
}
