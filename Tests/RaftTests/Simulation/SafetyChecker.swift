@testable import Raft

struct SimulationFailure: Error, CustomStringConvertible {
    let description: String
}

/// Checks Raft's safety properties against every member after every simulation step, keeping
/// the global history it needs: the committed prefix as first observed anywhere, the leader of
/// each term, every (index, term) ever persisted, every vote cast and every read requested.
final class SafetyChecker {
    struct CommittedEntry {
        let term: UInt64
        let type: EntryType
        let data: [UInt8]
        /// The state-machine digest after applying everything up to and including this entry.
        let digestAfter: UInt64
        /// The term of the member that first saw it committed; it was committed in that term
        /// or an earlier one, so every leader of a later term must hold it.
        let observedInTerm: UInt64
    }

    fileprivate struct Position: Hashable {
        let index: UInt64
        let term: UInt64
    }

    fileprivate struct EntryShape: Equatable {
        let previousTerm: UInt64
        let type: EntryType
        let data: [UInt8]
    }

    private struct Ballot: Hashable {
        let voter: UInt64
        let term: UInt64
    }

    /// `committed[i - 1]` is the entry at index `i`; index 1 is the bootstrap snapshot.
    private(set) var committed: [CommittedEntry]
    private var leaderOfTerm: [UInt64: UInt64] = [:]
    private var persistedEntries: [Position: EntryShape] = [:]
    private var votes: [Ballot: UInt64] = [:]
    private var readFloor: [[UInt8]: UInt64] = [:]
    private var observedCommit: [UInt64: UInt64] = [:]
    /// The membership after every committed change, as an oracle for the network.
    private(set) var committedMembership: Membership

    init(bootstrap: Snapshot) {
        committedMembership = Membership(bootstrap.metadata.confState)
        let state = StateMachine(snapshot: bootstrap)
        committed = [CommittedEntry(term: bootstrap.metadata.term, type: .normal, data: [],
                                    digestAfter: state.digest, observedInTerm: bootstrap.metadata.term)]
    }

    var highestCommitted: UInt64 { UInt64(committed.count) }

    var termsWithLeader: Int { leaderOfTerm.count }

    private func entry(at index: UInt64) -> CommittedEntry? {
        index >= 1 && index <= highestCommitted ? committed[Int(index - 1)] : nil
    }

    // MARK: After every step

    func check(_ nodes: [SimulatedNode]) throws {
        for node in nodes {
            guard let raft = node.raw?.node else { continue }
            try check(raft)
        }
    }

    /// Also called before a member applies anything, as a step may commit and apply at once.
    func check(_ raft: RaftNode) throws {
        if raft.role.kind == .leader {
            try checkLeader(raft)
        }
        try observeCommit(raft)
    }

    /// Election safety (at most one leader per term) and leader completeness (a leader holds
    /// every entry committed in earlier terms).
    private func checkLeader(_ raft: RaftNode) throws {
        if let other = leaderOfTerm[raft.term] {
            guard other == raft.id else {
                throw SimulationFailure(description: "election safety: \(other) and \(raft.id) both lead term \(raft.term)")
            }
            return
        }
        leaderOfTerm[raft.term] = raft.id
        let lowest = max(raft.log.firstIndex - 1, 1)
        guard lowest <= highestCommitted else {
            throw SimulationFailure(description: "leader \(raft.id) has compacted past the known commit \(highestCommitted)")
        }
        for index in lowest...highestCommitted {
            let known = committed[Int(index - 1)]
            guard known.observedInTerm < raft.term else { continue }
            guard raft.log.term(at: index) == known.term else {
                throw SimulationFailure(description: "leader completeness: leader \(raft.id) of term \(raft.term) has term \(String(describing: raft.log.term(at: index))) at \(index), committed with term \(known.term)")
            }
        }
    }

    /// Records entries newly committed on `raft` and checks that entries committed before are
    /// unchanged: a committed entry never changes or disappears.
    private func observeCommit(_ raft: RaftNode) throws {
        let commit = raft.log.committed
        let seen = observedCommit[raft.id] ?? 0
        guard commit > seen else {
            observedCommit[raft.id] = commit
            return
        }
        observedCommit[raft.id] = commit
        let firstIndex = raft.log.firstIndex
        if seen + 1 < firstIndex {
            // The range starts under a snapshot: check where the snapshot ends.
            let snapshotIndex = firstIndex - 1
            guard let known = entry(at: snapshotIndex), raft.log.term(at: snapshotIndex) == known.term else {
                throw SimulationFailure(description: "node \(raft.id) holds a snapshot at \(snapshotIndex) that does not match the committed log")
            }
        }
        let lo = max(seen + 1, firstIndex)
        guard lo <= commit else { return }
        let entries = try! raft.log.slice(lo, commit + 1, maxBytes: .max)
        for entry in entries {
            if let known = self.entry(at: entry.index) {
                guard known.term == entry.term, known.type == entry.type, known.data == entry.data else {
                    throw SimulationFailure(description: "committed entry \(entry.index) changed on node \(raft.id): term \(entry.term), was \(known.term)")
                }
            } else {
                guard entry.index == highestCommitted + 1 else {
                    throw SimulationFailure(description: "node \(raft.id) committed \(entry.index) but \(highestCommitted + 1) was never seen committed")
                }
                let digest = StateMachine.digest(committed[committed.count - 1].digestAfter, entry)
                committed.append(CommittedEntry(term: entry.term, type: entry.type, data: entry.data,
                                                digestAfter: digest, observedInTerm: raft.term))
                if entry.type == .confChange {
                    committedMembership.apply(try! ConfChange(decoding: entry.data))
                }
            }
        }
    }

    // MARK: Events

    /// An entry as a member is about to make it durable, with the term of the entry before it.
    struct LoggedEntry {
        fileprivate let position: Position
        fileprivate let shape: EntryShape
    }

    /// Checks a ready as it is taken: no entry may differ from the committed one at an index the
    /// member itself knows committed (a stale leader may append where others have committed),
    /// and no read may be stale. Returns its entries for `durable(_:on:)`.
    func taking(_ ready: Ready, on raft: RaftNode) throws -> [LoggedEntry] {
        var logged: [LoggedEntry] = []
        var previousTerm = ready.entries.first.flatMap { raft.log.term(at: $0.index - 1) }
        for entry in ready.entries {
            guard let previous = previousTerm else {
                throw SimulationFailure(description: "node \(raft.id) persists \(entry.index) without its predecessor")
            }
            if entry.index <= raft.log.committed, let known = self.entry(at: entry.index), known.term != entry.term {
                throw SimulationFailure(description: "node \(raft.id) persists \(entry.index) with term \(entry.term) below its commit index, committed with term \(known.term)")
            }
            logged.append(LoggedEntry(position: Position(index: entry.index, term: entry.term),
                                      shape: EntryShape(previousTerm: previous, type: entry.type, data: entry.data)))
            previousTerm = entry.term
        }
        for read in ready.readStates {
            let floor = readFloor[read.context] ?? 0
            guard read.index >= floor else {
                throw SimulationFailure(description: "stale read on node \(raft.id): index \(read.index) below \(floor), committed before the read was asked")
            }
        }
        return logged
    }

    /// Log matching, checked where entries become durable and so can be sent or survive a
    /// crash: an (index, term) pair always names the same entry preceded by the same term, so
    /// two logs that share an entry share the whole prefix before it. (Entries lost unsynced in
    /// a crash were never seen by anyone; a single voter may even lead the same term again.)
    func durable(_ entries: [LoggedEntry], on id: UInt64) throws {
        for entry in entries {
            if let existing = persistedEntries[entry.position], existing != entry.shape {
                throw SimulationFailure(description: "log matching: node \(id) holds a different entry at index \(entry.position.index) term \(entry.position.term)")
            }
            persistedEntries[entry.position] = entry.shape
        }
    }

    /// A restarted member re-checks its whole log against the committed prefix; what it read
    /// back from its disk is durable too, including a prefix of writes a crash did not lose.
    func restarted(_ raft: RaftNode) throws {
        observedCommit[raft.id] = 0
        let log = raft.log
        guard log.firstIndex <= log.lastIndex else { return }
        let entries = try! log.slice(log.firstIndex, log.lastIndex + 1, maxBytes: .max)
        var previousTerm = log.term(at: log.firstIndex - 1) ?? 0
        var logged: [LoggedEntry] = []
        for entry in entries {
            logged.append(LoggedEntry(position: Position(index: entry.index, term: entry.term),
                                      shape: EntryShape(previousTerm: previousTerm, type: entry.type, data: entry.data)))
            previousTerm = entry.term
        }
        try durable(logged, on: raft.id)
    }

    /// State machine safety: members apply the same entries in the same order.
    func applied(_ event: SimulatedNode.Applied, on id: UInt64) throws {
        switch event {
        case .gap(let expected, let got):
            throw SimulationFailure(description: "node \(id) applied \(got), expected \(expected)")
        case .entry(let entry, let state):
            guard let known = self.entry(at: entry.index) else {
                throw SimulationFailure(description: "node \(id) applied \(entry.index), never seen committed")
            }
            guard known.term == entry.term, known.data == entry.data, known.digestAfter == state.digest else {
                throw SimulationFailure(description: "node \(id) applied a different entry or state at \(entry.index)")
            }
        case .snapshot(let snapshot, let state):
            let index = snapshot.metadata.index
            guard let known = self.entry(at: index), known.term == snapshot.metadata.term,
                  state.appliedIndex == index, known.digestAfter == state.digest else {
                throw SimulationFailure(description: "node \(id) installed a snapshot at \(index) that differs from the committed state")
            }
        }
    }

    /// Votes are durable: a member never grants two candidates its vote in one term, even
    /// across crashes.
    func sending(_ message: Message) throws {
        guard message.type == .voteResp, !message.reject else { return }
        let ballot = Ballot(voter: message.from, term: message.term)
        if let earlier = votes[ballot], earlier != message.to {
            throw SimulationFailure(description: "node \(message.from) voted for \(earlier) and \(message.to) in term \(message.term)")
        }
        votes[ballot] = message.to
    }

    /// A linearizable read must see at least every entry committed before it was asked.
    func readRequested(context: [UInt8]) {
        readFloor[context] = highestCommitted
    }
}
