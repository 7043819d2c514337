/// The leader's view of one member's log, which decides what it sends to that member next.
public struct Progress: Sendable {
    /// How the leader is currently replicating to the member.
    public enum State: Hashable, Sendable {
        /// Where the member's log ends is unknown: send one append per heartbeat interval (or
        /// per acknowledgement) and back off on rejection until a match is found.
        case probe
        /// The member's log matches up to `match`: stream appends optimistically, up to the
        /// inflight limit.
        case replicate
        /// The member is behind the leader's first index; a snapshot at `pendingIndex` is on
        /// its way and nothing else is sent until it lands or fails.
        case snapshot(pendingIndex: UInt64)
    }

    /// The highest index known to match the leader's log.
    public internal(set) var match: UInt64
    /// The index of the next entry to send.
    public internal(set) var next: UInt64
    public internal(set) var state: State
    public internal(set) var isLearner: Bool
    /// Whether the member has been heard from since the last check-quorum round.
    public internal(set) var recentActive: Bool
    /// In probe state: an append was sent and its answer (or a heartbeat) is awaited.
    var probeSent = false
    var inflights: Inflights

    init(next: UInt64, isLearner: Bool, maxInflight: Int) {
        match = 0
        self.next = next
        state = .probe
        self.isLearner = isLearner
        recentActive = false
        inflights = Inflights(capacity: maxInflight)
    }

    public var inflightCount: Int { inflights.count }

    /// Whether the leader must hold back appends to this member for now.
    var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflights.isFull
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let pendingIndex) = state {
            // The snapshot was delivered (or failed); either way the member has at least what
            // it had, and if it landed, everything up to its index.
            next = max(match + 1, pendingIndex + 1)
        } else {
            next = match + 1
        }
        resetState(.probe)
    }

    mutating func becomeReplicate() {
        next = match + 1
        resetState(.replicate)
    }

    mutating func becomeSnapshot(pendingIndex: UInt64) {
        resetState(.snapshot(pendingIndex: pendingIndex))
    }

    /// The snapshot was not delivered: probe from what the member is known to hold.
    mutating func abandonSnapshot() {
        next = match + 1
        resetState(.probe)
    }

    private mutating func resetState(_ newState: State) {
        state = newState
        probeSent = false
        inflights.removeAll()
    }

    /// Takes in an acknowledgement of everything up to `index`; false if it tells nothing new
    /// (a duplicate or a reordered older answer).
    mutating func acknowledge(through index: UInt64) -> Bool {
        var advanced = false
        if match < index {
            match = index
            probeSent = false
            advanced = true
        }
        next = max(next, index + 1)
        return advanced
    }

    /// In replicate state, entries up to `lastIndex` are on their way.
    mutating func sentOptimistically(through lastIndex: UInt64) {
        next = lastIndex + 1
        inflights.add(lastIndex)
    }

    /// Takes in a rejection of the append that followed `rejectedIndex`; `probeFrom` is where the
    /// member's hint says the logs may match. Returns false for a stale rejection.
    mutating func rejected(after rejectedIndex: UInt64, probeFrom: UInt64) -> Bool {
        if state == .replicate {
            // Appends up to `match` were acknowledged, so a rejection below it is old news.
            guard rejectedIndex > match else { return false }
            next = match + 1
            return true
        }
        // While probing only one append is outstanding, the one after `next - 1`.
        guard rejectedIndex == next - 1 else { return false }
        next = max(min(rejectedIndex, probeFrom + 1), match + 1)
        probeSent = false
        return true
    }
}
