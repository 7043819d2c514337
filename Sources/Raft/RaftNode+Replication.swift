// Log replication (Raft §5.3): the leader's side (appends, heartbeats, commit) and the
// follower's side (accepting or rejecting appends, installing snapshots).

extension RaftNode {
    // MARK: Leader

    /// Appends entries of the current term to the leader's own log. They count as replicated
    /// on the leader only once persisted (see `leaderPersisted(through:term:)`), so that a
    /// committed entry is always on the disks of a quorum, the leader's included.
    func appendAsLeader(_ entries: [Entry]) {
        precondition(leaderState != nil, "only a leader appends proposals")
        let previousLast = log.lastIndex
        log.append(entries.enumerated().map { offset, entry in
            Entry(term: term, index: previousLast + 1 + UInt64(offset), type: entry.type, data: entry.data)
        })
    }

    /// The application persisted the leader's log through `index`: the leader's own copy now
    /// counts towards the quorum.
    func leaderPersisted(through index: UInt64, term entryTerm: UInt64) {
        guard let state = leaderState, log.term(at: index) == entryTerm,
              state.progress[id]?.acknowledge(through: index) == true, maybeCommit() else { return }
        broadcastAppend()
    }

    /// Advances the commit index to what a quorum of voters holds, if that entry is of the
    /// current term; returns whether it moved.
    func maybeCommit() -> Bool {
        guard let state = leaderState else { return false }
        let quorumIndex = membership.committedIndex { state.progress[$0]?.match ?? 0 }
        return log.maybeCommit(quorumIndex: quorumIndex, currentTerm: term)
    }

    func broadcastAppend() {
        for member in membership.members where member != id {
            sendAppend(to: member)
        }
    }

    /// Sends `member` the entries it lacks (or a snapshot when they are compacted away), unless
    /// flow control holds it back. Returns whether a message was sent. With `sendIfEmpty` false
    /// nothing is sent when there are no entries, which lets callers fill the window without
    /// sending empty appends.
    @discardableResult
    func sendAppend(to member: UInt64, sendIfEmpty: Bool = true) -> Bool {
        guard let state = leaderState, let progress = state.progress[member], !progress.isPaused else {
            return false
        }
        let prevIndex = progress.next - 1
        let prevTerm = log.term(at: prevIndex)
        let entries = try? log.entries(from: progress.next, maxBytes: config.maxSizePerMsg)
        if let prevTerm, let entries {
            if entries.isEmpty && !sendIfEmpty { return false }
            if let last = entries.last {
                switch progress.state {
                case .replicate:
                    state.progress[member]?.sentOptimistically(through: last.index)
                case .probe:
                    state.progress[member]?.probeSent = true
                case .snapshot:
                    preconditionFailure("appending to \(member) while a snapshot is pending")
                }
            }
            send(Message(type: .app, to: member, logTerm: prevTerm, index: prevIndex, entries: entries,
                         commit: log.committed))
            return true
        }
        guard sendIfEmpty else { return false }
        return sendSnapshot(to: member, state)
    }

    /// The member needs entries that were compacted away: only a snapshot can catch it up.
    private func sendSnapshot(to member: UInt64, _ state: LeaderState) -> Bool {
        // A member not heard from recently is probably down; a snapshot would be wasted.
        guard state.progress[member]?.recentActive == true else { return false }
        let snapshot: Snapshot
        do {
            snapshot = try log.snapshot()
        } catch {
            return false  // Temporarily unavailable; the next append attempt retries.
        }
        precondition(!snapshot.isEmpty, "entries are compacted but there is no snapshot")
        state.progress[member]?.becomeSnapshot(pendingIndex: snapshot.metadata.index)
        send(Message(type: .snap, to: member, snapshot: snapshot))
        return true
    }

    func broadcastHeartbeat(context: [UInt8]) {
        for member in membership.members where member != id {
            sendHeartbeat(to: member, context: context)
        }
    }

    /// The periodic heartbeat also retries the in-flight read round, in case its first
    /// broadcast was lost.
    func broadcastHeartbeat() {
        broadcastHeartbeat(context: leaderState?.reads.inFlightContext ?? [])
    }

    private func sendHeartbeat(to member: UInt64, context: [UInt8]) {
        // Never tell a member to commit beyond what it is known to hold: its log past `match`
        // may still differ from ours.
        let match = leaderState?.progress[member]?.match ?? 0
        send(Message(type: .heartbeat, to: member, commit: min(match, log.committed), context: context))
    }

    func handleAppendResponse(_ message: Message, _ state: LeaderState) {
        guard let progress = state.progress[message.from] else { return }
        state.progress[message.from]?.recentActive = true
        if message.reject {
            // The member's hint names the highest index where the logs may still match; skip
            // back over our own entries that cannot match it either.
            var probeFrom = message.rejectHint
            if message.logTerm > 0 {
                probeFrom = log.lastIndexWithTerm(atMost: message.logTerm, atOrBelow: message.rejectHint).index
            }
            guard state.progress[message.from]?.rejected(after: message.index, probeFrom: probeFrom) == true else {
                return
            }
            if progress.state == .replicate {
                state.progress[message.from]?.becomeProbe()
            }
            sendAppend(to: message.from)
            return
        }
        guard state.progress[message.from]?.acknowledge(through: message.index) == true else { return }
        let match = message.index
        switch progress.state {
        case .probe:
            state.progress[message.from]?.becomeReplicate()
        case .snapshot(let pendingIndex) where match >= pendingIndex:
            state.progress[message.from]?.becomeProbe()
            state.progress[message.from]?.becomeReplicate()
        case .snapshot:
            break
        case .replicate:
            state.progress[message.from]?.inflights.free(through: match)
        }
        if maybeCommit() {
            broadcastAppend()
        } else if progress.isPaused {
            // The member may have missed the commit index while it was paused.
            sendAppend(to: message.from)
        }
        // The acknowledgement may have opened the window for several messages.
        while sendAppend(to: message.from, sendIfEmpty: false) {}
        if state.transferee == message.from && match == log.lastIndex {
            tellTransfereeToCampaign(message.from)
        }
    }

    func handleHeartbeatResponse(_ message: Message, _ state: LeaderState) {
        guard let progress = state.progress[message.from] else { return }
        state.progress[message.from]?.recentActive = true
        state.progress[message.from]?.probeSent = false
        // The member is alive; if its acknowledgements were lost, the full window would stall
        // replication forever, so free one slot.
        if progress.state == .replicate && progress.inflights.isFull {
            state.progress[message.from]?.inflights.freeFirst()
        }
        if progress.match < log.lastIndex {
            sendAppend(to: message.from)
        }
        if let round = ReadIndexRounds.round(fromContext: message.context) {
            acknowledgeReadRound(round, from: message.from, state)
        }
    }

    func handleSnapshotStatus(_ message: Message, _ state: LeaderState) {
        guard case .snapshot = state.progress[message.from]?.state else { return }
        if message.reject {
            state.progress[message.from]?.abandonSnapshot()
        } else {
            state.progress[message.from]?.becomeProbe()
        }
        // Wait for the member's answer (or a heartbeat interval) before probing again.
        state.progress[message.from]?.probeSent = true
    }

    // MARK: Follower

    func handleAppend(_ message: Message) {
        guard message.entries.enumerated().allSatisfy({ $1.index == message.index + 1 + UInt64($0) }) else {
            return  // Not a contiguous run after `index`: malformed, ignore it.
        }
        if message.index < log.committed {
            // Everything up to our commit index already matches the leader's log.
            send(Message(type: .appResp, to: message.from, index: log.committed))
            return
        }
        if let lastNewIndex = log.maybeAppend(prevIndex: message.index, prevTerm: message.logTerm,
                                              leaderCommit: message.commit, entries: message.entries) {
            send(Message(type: .appResp, to: message.from, index: lastNewIndex))
            return
        }
        // Our log lacks the leader's entry at `index`. Hint at the last index whose term is not
        // above the leader's term there: every entry after it differs from the leader's.
        let hint = log.lastIndexWithTerm(atMost: message.logTerm, atOrBelow: message.index)
        send(Message(type: .appResp, to: message.from, logTerm: hint.term, index: message.index,
                     reject: true, rejectHint: hint.index))
    }

    func handleHeartbeat(_ message: Message) {
        log.commit(to: message.commit)
        send(Message(type: .heartbeatResp, to: message.from, context: message.context))
    }

    func handleSnapshot(_ message: Message) {
        guard let snapshot = message.snapshot else { return }
        if restore(snapshot) {
            send(Message(type: .appResp, to: message.from, index: log.lastIndex))
        } else {
            send(Message(type: .appResp, to: message.from, index: log.committed))
        }
    }

    /// Installs a leader's snapshot; false when it brings nothing new.
    private func restore(_ snapshot: Snapshot) -> Bool {
        let metadata = snapshot.metadata
        guard metadata.index > log.committed else { return false }
        precondition(role.kind == .follower, "only a follower installs a snapshot")
        if log.matchTerm(metadata.index, metadata.term) {
            // We hold the snapshot's last entry, so our log up to it is the leader's: just
            // commit it and keep the entries that follow.
            log.commit(to: metadata.index)
            return false
        }
        log.restore(snapshot)
        membership = Membership(metadata.confState)
        return true
    }
}
