// Leader election (Raft §5.2), with pre-vote (thesis §9.6) and leader-transfer campaigns.

enum CampaignKind {
    /// Ask for pre-votes at `term + 1` without raising the term.
    case preElection
    case election
    /// Started by the leader's `timeoutNow`; voters honour it even inside a leader's lease.
    case leaderTransfer
}

extension RaftNode {
    func tick() {
        if case .leader = role {
            tickLeader()
        } else {
            tickElection()
        }
    }

    private func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            try? step(Message(type: .hup, from: id))
        }
    }

    private func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTick {
            electionElapsed = 0
            if config.checkQuorum {
                try? step(Message(type: .checkQuorum, from: id))
            }
            // A transfer that has not finished within an election timeout has failed
            // (the transferee is down or slow); resume normal service, or try again if this
            // member is no longer a voter.
            if let state = leaderState {
                state.transferee = nil
                if !isPromotable { handOffLeadership(state) }
            }
        }
        guard case .leader = role else { return }
        if heartbeatElapsed >= config.heartbeatTick {
            heartbeatElapsed = 0
            try? step(Message(type: .beat, from: id))
        }
    }

    /// Every campaign starts here: an election timeout or `campaign()` (`hup`), or the
    /// leader's `timeoutNow`, which skips pre-vote as the leader vouches for our log.
    func campaignIfAllowed(leaderTransfer: Bool = false) {
        guard role.kind != .leader, isPromotable else { return }
        // A committed membership change this member has not applied yet may change who votes;
        // better to count votes only under the membership the log has settled on.
        guard !hasUnappliedConfChange() else { return }
        campaign(leaderTransfer ? .leaderTransfer : config.preVote ? .preElection : .election)
    }

    private func hasUnappliedConfChange() -> Bool {
        let lo = max(log.applied + 1, log.firstIndex)
        guard lo <= log.committed else { return false }
        let unapplied = (try? log.slice(lo, log.committed + 1, maxBytes: .max)) ?? []
        return unapplied.contains { $0.type == .confChange }
    }

    func campaign(_ kind: CampaignKind) {
        precondition(isPromotable, "member \(id) cannot campaign: not a voter")
        let requestType: MessageType
        let requestTerm: UInt64
        if kind == .preElection {
            becomePreCandidate()
            requestType = .preVote
            requestTerm = term + 1
        } else {
            becomeCandidate()
            requestType = .vote
            requestTerm = term
        }
        if recordVote(from: id, granted: true) == .won {
            // The only voter: the election is decided already.
            if kind == .preElection {
                campaign(.election)
            } else {
                becomeLeader()
            }
            return
        }
        for voter in membership.voters where voter != id {
            send(Message(type: requestType, to: voter, term: requestTerm, logTerm: log.lastTerm,
                         index: log.lastIndex,
                         context: kind == .leaderTransfer ? Message.leaderTransferContext : []))
        }
    }

    /// Records a vote for this member's candidacy and returns the tally so far.
    private func recordVote(from voter: UInt64, granted: Bool) -> VoteResult {
        switch role {
        case .preCandidate(var votes):
            if votes[voter] == nil { votes[voter] = granted }
            role = .preCandidate(votes: votes)
            return membership.tally(votes)
        case .candidate(var votes):
            if votes[voter] == nil { votes[voter] = granted }
            role = .candidate(votes: votes)
            return membership.tally(votes)
        case .follower, .leader:
            preconditionFailure("recording a vote while \(role.kind)")
        }
    }

    /// Handles an answer to this member's (pre-)vote request. Answers meant for the other phase
    /// (a late pre-vote answer after the real election began) are ignored.
    func countVote(_ message: Message) {
        switch (role.kind, message.type) {
        case (.preCandidate, .preVoteResp), (.candidate, .voteResp):
            break
        default:
            return
        }
        switch recordVote(from: message.from, granted: !message.reject) {
        case .won:
            if role.kind == .preCandidate {
                campaign(.election)
            } else {
                becomeLeader()
            }
        case .lost:
            becomeFollower(term: term, leader: 0)
        case .pending:
            break
        }
    }

    /// Raft §5.2 and §5.4.1: grant at most one vote per term, and only to a candidate whose log
    /// is at least as up to date as ours. Pre-votes follow the same rule but bind nothing.
    func answerVoteRequest(_ message: Message) {
        let responseType: MessageType = message.type == .vote ? .voteResp : .preVoteResp
        let canVote = vote == message.from                          // repeating our vote
            || (vote == 0 && leader == 0)                           // free, and no leader known
            || (message.type == .preVote && message.term > term)    // about a future term
        if canVote && log.isUpToDate(lastIndex: message.index, lastTerm: message.logTerm) {
            // Answer with the request's term: a pre-candidate's is ahead of ours, and an answer
            // at our term would look stale to it.
            send(Message(type: responseType, to: message.from, term: message.term))
            if message.type == .vote {
                electionElapsed = 0
                vote = message.from
            }
        } else if term > 0 {
            // A member that has never seen a term (a new one, joining) has none to reject with,
            // and a rejection without a term would be taken for a local message; staying silent
            // costs the candidate nothing but a retry.
            send(Message(type: responseType, to: message.from, term: term, reject: true))
        }
    }

    /// With check-quorum, a leader that has not heard from a quorum within an election timeout
    /// steps down: it may be on the minority side of a partition, serving stale reads.
    func stepDownUnlessQuorumActive(_ state: LeaderState) {
        state.progress[id]?.recentActive = true
        let active = membership.voters.filter { state.progress[$0]?.recentActive == true }.count
        if active < membership.quorum {
            becomeFollower(term: term, leader: 0)
            return
        }
        for member in membership.members where member != id {
            state.progress[member]?.recentActive = false
        }
    }
}
