#if canImport(Glibc)
import Glibc
#endif
import EtcdWire
import NIOCore
import Raft
import WAL

/// A membership change a client asked for (MemberAdd, MemberRemove, MemberUpdate,
/// MemberPromote), checked on the consensus loop against Raft's view before it is proposed.
struct MembershipRequest {
    var kind: ConfChange.Kind
    var member: Member
    /// A promotion: only the leader knows whether the learner has caught up.
    var requiresInSyncLearner = false
}

extension RaftLoop {
    /// A learner may be promoted once it has at least 90% of what the leader has, as in etcd.
    static let learnerReadyFraction = 0.9

    func proposeMembershipChange(_ request: MembershipRequest, deadline: NIODeadline, done: @escaping Done) {
        if request.requiresInSyncLearner {
            let status = node.status
            guard status.role == .leader, let progress = status.progress else {
                done(.failure(.notLeader))
                return
            }
            let leaderMatch = progress[memberID]?.match ?? 0
            guard let learnerMatch = progress[request.member.id]?.match,
                  Double(learnerMatch) >= Double(leaderMatch) * Self.learnerReadyFraction else {
                done(.failure(.learnerNotReady))
                return
            }
        }
        let id = requestIDs.next()
        pending.register(id, .applied(done), deadline: deadline)
        let change = MembershipChange(requestID: id, kind: request.kind, member: request.member)
        propose(id: id, data: change.confChange.encode(), isConfChange: true)
    }

    /// Applies committed entries in log order: runs of commands go to the state machine as one
    /// batch; a membership change is applied to Raft and to the member list between them.
    func apply(_ entries: [Entry]) {
        guard let last = entries.last else { return }
        var commands: [Command] = []
        var requestIDs: [UInt64] = []
        for entry in entries {
            switch entry.type {
            case .normal:
                // A new leader's empty entry carries no command.
                guard !entry.data.isEmpty else { continue }
                do {
                    let proposal = try Proposal(decoding: entry.data)
                    commands.append(proposal.command)
                    requestIDs.append(proposal.requestID)
                } catch {
                    stop("undecodable raft log entry", index: entry.index, error: error)
                }
            case .confChange:
                applyCommands(&commands, &requestIDs, through: entry.index - 1)
                applyMembershipChange(entry)
            }
        }
        applyCommands(&commands, &requestIDs, through: last.index)
        metrics.proposalsPending.set(Double(pending.count))
        // After the answers, so that waiting locks and elections do not delay them.
        changeFeed.storeAdvanced()
    }

    private func applyCommands(_ commands: inout [Command], _ requestIDs: inout [UInt64], through index: UInt64) {
        guard !commands.isEmpty else {
            stateMachine.markApplied(through: index)
            return
        }
        let commit = Stopwatch()
        let results = stateMachine.apply(commands, appliedIndex: index)
        metrics.backendCommitDuration.record(commit.seconds)
        // Applying reads no clock, so leases granted in the batch start their clocks here.
        stateMachine.leases.startClocks()
        for (id, result) in zip(requestIDs, results) {
            switch pending.take(id) {
            case .command(let completion)?: completion(result)
            case .applied(let done)?: done(result.map { _ in () })
            case nil: break
            }
        }
        commands.removeAll(keepingCapacity: true)
        requestIDs.removeAll(keepingCapacity: true)
    }

    private func applyMembershipChange(_ entry: Entry) {
        let change: MembershipChange
        do {
            change = try MembershipChange(try ConfChange(decoding: entry.data))
        } catch {
            stop("undecodable membership change", index: entry.index, error: error)
        }
        node.applyConfChange(change.confChange)
        stateMachine.members.apply(change.kind, member: change.member)
        stateMachine.markApplied(through: entry.index)
        logger.info("applied a membership change", metadata: [
            "change": "\(change.kind)", "member-id": "\(String(change.member.id, radix: 16))",
            "peer-urls": "\(change.member.peerURLs)", "index": "\(entry.index)",
        ])
        if case .applied(let done)? = pending.take(change.requestID) { done(.success(())) }
        delegate?.membershipChanged()
        if change.kind == .removeNode, change.member.id == memberID {
            delegate?.removedFromCluster()
        }
    }

    /// A snapshot from the leader replaces the applied state (a member that joined, or one
    /// too far behind for the log).
    func restore(_ snapshot: Snapshot) {
        do {
            let state = try AppliedStateSnapshot(decoding: snapshot.data)
            stateMachine.members.restore(state.membership)
            stateMachine.restoreAlarms(state.alarms)
            if let sections = state.store {
                try stateMachine.restore(store: sections.store, leases: sections.leases, appliedIndex: snapshot.metadata.index)
            } else {
                stateMachine.markApplied(through: snapshot.metadata.index)
            }
            snapshotIndex = snapshot.metadata.index
        } catch {
            stop("undecodable snapshot", index: snapshot.metadata.index, error: error)
        }
        logger.info("applied a snapshot from the leader", metadata: [
            "index": "\(snapshot.metadata.index)", "term": "\(snapshot.metadata.term)",
        ])
        delegate?.membershipChanged()
    }

    /// Between snapshots, lets go of the memory of applied entries no follower still needs,
    /// but the last `retainedEntries`, in steps of that many. The WAL keeps them until the next
    /// snapshot; a follower that falls further behind is sent a snapshot made for it (see
    /// `MemoryStorage.needsSnapshot`). Entries a follower known to lag still needs stay here,
    /// as etcd keeps every entry since the last snapshot.
    func releaseAppliedEntries(_ status: Status) {
        let firstKept = log.storage.firstIndex
        guard status.applied >= firstKept + 2 * Self.retainedEntries else { return }
        var through = status.applied - Self.retainedEntries
        for (member, progress) in status.progress ?? [:] where member != memberID {
            through = min(through, progress.match)
        }
        guard through >= firstKept else { return }
        do {
            try log.storage.compact(through: through)
        } catch {
            stop("cannot release applied entries", index: through, error: error)
        }
    }

    /// Saves the applied state as a snapshot at `index`, then lets go of what it covers: WAL
    /// segments (down to `--max-wals`) and in-memory entries but the last `catchUpEntries`.
    /// Every member does this on its own; the leader sends a snapshot only to a member that
    /// needs entries it no longer has.
    func saveSnapshot(at index: UInt64, confState: ConfState) {
        let commit = Stopwatch()
        let dataCount: Int
        do {
            // Memory keeps the metadata only; `send` reads the data back for a follower.
            let metadata = try log.storage.createSnapshot(at: index, confState: confState, data: []).metadata
            // Streamed from the store to the file a chunk at a time, so saving needs no second
            // copy of the store in memory.
            dataCount = try stateMachine.withAppliedStateEncoding { encoding in
                try log.snapshotter.save(metadata: metadata, dataCount: encoding.count) { sink in try encoding.write(to: sink) }
                return encoding.count
            }
            try log.wal.saveSnapshotMarker(SnapshotMarker(metadata))
            try log.wal.sync()
            if index > Self.catchUpEntries + log.storage.firstIndex {
                try log.storage.compact(through: index - Self.catchUpEntries)
            }
        } catch {
            stop("cannot save a snapshot", index: index, error: error)
        }
        do {
            try log.wal.releaseTo(index)
        } catch {
            // The snapshot is durable; segments left behind cost disk space, not correctness.
            logger.warning("cannot remove WAL segments a snapshot covers", metadata: ["index": "\(index)", "error": "\(error)"])
        }
        snapshotIndex = index
        metrics.backendCommitDuration.record(commit.seconds)
        logger.info("saved snapshot", metadata: [
            "index": "\(index)", "bytes": "\(dataCount)",
            "first-kept-index": "\(log.storage.firstIndex)",
        ])
    }

    private func stop(_ what: String, index: UInt64, error: Error) -> Never {
        logger.critical("\(what); stopping", metadata: ["index": "\(index)", "error": "\(error)"])
        exit(1)
    }
}
