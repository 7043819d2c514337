// The lease holder's side of the lessor: deadlines, keep-alives and expiry. Local to the member
// that holds the leases (the leader once there is a cluster); never part of a command.

extension Lessor {
    /// What a keep-alive got.
    public enum Renewal: Hashable, Sendable {
        /// The lease runs for its full TTL again, counted from the renewal.
        case renewed(ttl: Int64)
        case notFound
        /// The lease is past its deadline and its revoke is under way; etcd answers such a
        /// keep-alive only once the revoke has been applied (with TTL 0).
        case expired
        /// This member does not hold the leases.
        case notPrimary
    }

    /// Makes this member the lease holder. Every lease expires its full TTL plus `extend` from
    /// now, as etcd does on a leader change and after a restart, so no lease ends sooner than the
    /// client was last promised whatever time passed while nobody held it. Where more leases
    /// would then expire in one second than revokes can keep up with, the later ones are pushed
    /// back (never forward).
    public mutating func promote(now: MonotonicInstant, extend: Duration) {
        isPrimary = true
        awaitingClock.removeAll()
        var schedule = leases.values.map { (id: $0.id, deadline: now + extend + .seconds($0.ttl)) }
        ExpirySpreading.spread(&schedule)
        for (id, deadline) in schedule {
            deadlines[id] = deadline
            checks.schedule(id, at: deadline)
        }
    }

    /// This member no longer holds the leases (it lost leadership): every clock stops, keep-alives
    /// are refused and nothing expires here until it is promoted again.
    public mutating func demote() {
        isPrimary = false
        awaitingClock.removeAll()
        deadlines.removeAll()
        for id in leases.keys { checks.remove(id) }
    }

    /// Starts the clocks of leases granted since the last call. The apply path reads no clock, so
    /// the server calls this right after applying each batch.
    public mutating func startClocks(now: MonotonicInstant) {
        for id in awaitingClock where deadlines[id] == nil {
            guard let lease = leases[id] else { continue }
            let deadline = now + .seconds(lease.ttl)
            deadlines[id] = deadline
            checks.schedule(id, at: deadline)
        }
        awaitingClock.removeAll(keepingCapacity: true)
    }

    /// A keep-alive: restarts the lease's full TTL from `now`. O(log n).
    public mutating func renew(_ id: LeaseID, now: MonotonicInstant) -> Renewal {
        guard isPrimary else { return .notPrimary }
        guard let lease = leases[id] else { return .notFound }
        if let deadline = deadlines[id], deadline <= now { return .expired }
        let deadline = now + .seconds(lease.ttl)
        deadlines[id] = deadline
        checks.schedule(id, at: deadline)
        return .renewed(ttl: lease.ttl)
    }

    /// Time left before the lease expires (negative once past its deadline); nil if there is no
    /// such lease. A lease whose clock has not started has its whole TTL left.
    public func remaining(_ id: LeaseID, now: MonotonicInstant) -> Duration? {
        guard let lease = leases[id] else { return nil }
        guard let deadline = deadlines[id] else { return .seconds(lease.ttl) }
        return deadline - now
    }

    /// Whole seconds left, truncated as etcd reports them in TimeToLive.
    public func remainingSeconds(_ id: LeaseID, now: MonotonicInstant) -> Int64? {
        remaining(id, now: now)?.truncatedSeconds
    }

    /// Leases past their deadline, earliest first, at most `limit` (etcd's revoke rate limit).
    /// Each is looked at again after `retryAfter`, so a revoke that gets lost is proposed
    /// again. Costs O(log n) per lease returned, nothing for leases not yet due.
    public mutating func takeExpired(now: MonotonicInstant, limit: Int, retryAfter: Duration) -> [LeaseID] {
        guard isPrimary else { return [] }
        var expired: [LeaseID] = []
        while expired.count < limit, let next = checks.first, next.due <= now {
            expired.append(next.id)
            checks.schedule(next.id, at: now + retryAfter)
        }
        return expired
    }

    /// Every lease's ID, the soonest to expire first (the order etcd lists them in).
    public func idsByExpiry() -> [LeaseID] {
        leases.keys.sorted { a, b in
            let (da, db) = (deadlines[a] ?? MonotonicInstant(nanoseconds: .max), deadlines[b] ?? MonotonicInstant(nanoseconds: .max))
            return (da, a) < (db, b)
        }
    }
}
