import EtcdWire
import NIOCore

/// Clients waiting for their proposals to be applied, by request ID, each with a deadline:
/// a proposal can be lost (a leader change drops what a follower forwarded), and then its
/// client hears `etcdserver: request timed out` instead of waiting forever, as with etcd.
/// Confined to the consensus loop.
struct PendingRequests {
    enum Waiter {
        /// A client command: answered with what applying it returned.
        case command(RaftLoop.Completion)
        /// A membership change or the member's own announcement: answered once applied.
        case applied(RaftLoop.Done)

        func fail(_ error: EtcdError) {
            switch self {
            case .command(let completion): completion(.failure(error))
            case .applied(let done): done(.failure(error))
            }
        }
    }

    private var waiters: [UInt64: Waiter] = [:]
    /// Request IDs in the order they were registered; every request gets the same timeout, so
    /// this is also deadline order. Entries already answered are skipped when they come up.
    private var deadlines: [(deadline: NIODeadline, id: UInt64)] = []
    private var firstDeadline = 0

    var count: Int { waiters.count }

    func contains(_ id: UInt64) -> Bool { waiters[id] != nil }

    mutating func register(_ id: UInt64, _ waiter: Waiter, deadline: NIODeadline) {
        waiters[id] = waiter
        deadlines.append((deadline, id))
    }

    /// The waiter for `id`, which is no longer pending; nil if another member proposed it or it
    /// already timed out.
    mutating func take(_ id: UInt64) -> Waiter? {
        waiters.removeValue(forKey: id)
    }

    /// Removes and returns every waiter whose deadline has passed.
    mutating func takeExpired(now: NIODeadline) -> [Waiter] {
        var expired: [Waiter] = []
        while firstDeadline < deadlines.count, deadlines[firstDeadline].deadline <= now {
            if let waiter = waiters.removeValue(forKey: deadlines[firstDeadline].id) { expired.append(waiter) }
            firstDeadline += 1
        }
        // Drop the consumed prefix now and then, so the array does not grow without bound.
        if firstDeadline > 1024, firstDeadline * 2 > deadlines.count {
            deadlines.removeFirst(firstDeadline)
            firstDeadline = 0
        }
        return expired
    }

    mutating func takeAll() -> [Waiter] {
        defer { waiters = [:]; deadlines = []; firstDeadline = 0 }
        return Array(waiters.values)
    }
}
