// Proposals and single-member configuration changes (Raft thesis §4.1). A change takes effect
// on each member when that member applies its entry, and a leader lets only one change be
// pending at a time, so consecutive configurations always share a majority.

extension RaftNode {
    func appendProposal(_ entries: [Entry], _ state: LeaderState) throws(RaftError) {
        precondition(!entries.isEmpty, "empty proposal")
        guard membership.isVoter(id) else { throw .notInConfiguration }
        guard state.ownRemovalIndex == nil else { throw .leaderBeingRemoved }
        guard state.transferee == nil else { throw .leaderTransferInProgress }
        var pendingConfIndex = state.pendingConfIndex
        var ownRemovalIndex: UInt64?
        for (offset, entry) in entries.enumerated() where entry.type == .confChange {
            guard pendingConfIndex <= log.applied else { throw .confChangePending }
            guard let change = try? ConfChange(decoding: entry.data) else { throw .invalidConfChange }
            let after = membership.applying(change)
            guard !after.voters.isEmpty else { throw .confChangeRemovesLastVoter }
            pendingConfIndex = log.lastIndex + 1 + UInt64(offset)
            if !after.isVoter(id) { ownRemovalIndex = pendingConfIndex }
        }
        state.pendingConfIndex = pendingConfIndex
        state.ownRemovalIndex = ownRemovalIndex
        appendAsLeader(entries)
        broadcastAppend()
    }

    /// The index of an unapplied change in the log that removes or demotes this member. A new
    /// leader may inherit one from an earlier term.
    func unappliedOwnRemoval() -> UInt64? {
        let lo = max(log.applied + 1, log.firstIndex)
        guard lo <= log.lastIndex, let tail = try? log.slice(lo, log.lastIndex + 1, maxBytes: .max) else { return nil }
        var after = membership
        for entry in tail where entry.type == .confChange {
            guard let change = try? ConfChange(decoding: entry.data) else { continue }
            after.apply(change)
            if !after.isVoter(id) { return entry.index }
        }
        return nil
    }

    /// Applies a committed membership change and returns the resulting configuration.
    func applyConfChange(_ change: ConfChange) -> ConfState {
        membership.apply(change)
        precondition(!membership.voters.isEmpty, "configuration change \(change) left no voter")
        if let state = leaderState {
            leaderAdopt(membership, state)
        }
        return membership.confState
    }

    private func leaderAdopt(_ newMembership: Membership, _ state: LeaderState) {
        var added: [UInt64] = []
        for member in newMembership.members {
            if state.progress[member] == nil {
                added.append(member)
                var progress = Progress(next: log.lastIndex + 1, isLearner: false, maxInflight: config.maxInflightMsgs)
                // Count a new member as active so that check-quorum gives it an election
                // timeout to answer before holding its silence against the leader.
                progress.recentActive = true
                state.progress[member] = progress
            }
            state.progress[member]?.isLearner = newMembership.isLearner(member)
        }
        for member in Array(state.progress.keys) where !newMembership.contains(member) {
            state.progress[member] = nil
        }
        if let transferee = state.transferee, !newMembership.isVoter(transferee) {
            state.transferee = nil
        }
        if !newMembership.isVoter(id) {
            handOffLeadership(state)
            guard role.kind == .leader else { return }
        }
        // A smaller quorum may commit more, and a round of reads may now have its quorum.
        if maybeCommit() {
            broadcastAppend()
        } else {
            // Probe new members now rather than at the next heartbeat; the others are already
            // being replicated to, so they only get entries not sent yet.
            for member in newMembership.members where member != id {
                sendAppend(to: member, sendIfEmpty: added.contains(member))
            }
        }
        completeReadRoundIfConfirmed(state)
    }
}

extension Membership {
    func applying(_ change: ConfChange) -> Membership {
        var after = self
        after.apply(change)
        return after
    }

    mutating func apply(_ change: ConfChange) {
        switch change.kind {
        case .addVoter: addVoter(change.nodeID)
        case .addLearner: addLearner(change.nodeID)
        case .removeNode: remove(change.nodeID)
        case .updateNode: break
        }
    }
}
