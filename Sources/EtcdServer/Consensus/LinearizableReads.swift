import EtcdWire
import NIOCore

/// Linearizable reads waiting for Raft's ReadIndex: reads that arrive together share one
/// round, and each is released once this member has applied the index the leader confirmed.
/// Confined to the consensus loop.
struct LinearizableReads {
    typealias Waiter = (deadline: NIODeadline, done: RaftLoop.Done)

    /// Reads not yet part of a round.
    private var queued: [Waiter] = []
    /// The round asked of Raft and not yet answered: its context and when it was asked.
    private var inFlight: (context: UInt64, askedAt: NIODeadline, readers: [Waiter])?
    /// Rounds the leader answered, waiting for this member to apply their index.
    private var confirmed: [(index: UInt64, readers: [Waiter])] = []
    private var nextContext: UInt64 = 0

    var isEmpty: Bool { queued.isEmpty && inFlight == nil && confirmed.isEmpty }

    mutating func enqueue(_ waiter: Waiter) {
        queued.append(waiter)
    }

    /// The context for a new round, if one should start now: reads are queued and no round is
    /// in flight, or the one in flight went unanswered for `retryAfter` (its request or answer
    /// was lost, e.g. in a leader change), whose readers join the new round.
    mutating func startRound(now: NIODeadline, retryAfter: TimeAmount) -> [UInt8]? {
        if let round = inFlight {
            guard now - round.askedAt >= retryAfter else { return nil }
            queued.append(contentsOf: round.readers)
            inFlight = nil
        }
        guard !queued.isEmpty else { return nil }
        nextContext &+= 1
        inFlight = (nextContext, now, queued)
        queued = []
        return Self.bytes(nextContext)
    }

    /// Raft refused to start the round (no leader yet): its readers wait for the next try.
    mutating func roundRefused() {
        guard let round = inFlight else { return }
        queued.append(contentsOf: round.readers)
        inFlight = nil
    }

    /// The leader confirmed the round named by `context` at `index`.
    mutating func confirm(context: [UInt8], index: UInt64) {
        guard let round = inFlight, Self.bytes(round.context) == context else { return }
        confirmed.append((index, round.readers))
        inFlight = nil
    }

    /// The readers whose confirmed index is applied.
    mutating func takeReleased(applied: UInt64) -> [RaftLoop.Done] {
        var released: [RaftLoop.Done] = []
        confirmed.removeAll { round in
            guard round.index <= applied else { return false }
            released.append(contentsOf: round.readers.map(\.done))
            return true
        }
        return released
    }

    /// Removes and returns the readers whose deadline has passed.
    mutating func takeExpired(now: NIODeadline) -> [RaftLoop.Done] {
        var expired: [RaftLoop.Done] = []
        func sweep(_ readers: inout [Waiter]) {
            readers.removeAll { reader in
                guard reader.deadline <= now else { return false }
                expired.append(reader.done)
                return true
            }
        }
        sweep(&queued)
        if var round = inFlight {
            sweep(&round.readers)
            inFlight = round
        }
        for index in confirmed.indices { sweep(&confirmed[index].readers) }
        return expired
    }

    mutating func takeAll() -> [RaftLoop.Done] {
        defer { queued = []; inFlight = nil; confirmed = [] }
        return (queued + (inFlight?.readers ?? []) + confirmed.flatMap(\.readers)).map(\.done)
    }

    private static func bytes(_ context: UInt64) -> [UInt8] {
        BigEndian.bytes(context)
    }
}
