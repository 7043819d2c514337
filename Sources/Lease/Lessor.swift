import EtcdWire

/// Owns the leases: which exist, their granted TTLs and attached keys (the applied side), and,
/// on the member that holds them, when each expires (the timing side, in `Lessor+Timing`).
///
/// The applied side changes only through commands applied in log order (`grant`, `revoke`,
/// `trackAttachments`), reads no clock and so ends up the same on every member and after a
/// replay. The timing side is local to the lease holder, as in etcd: keep-alives are not
/// commands, and a member that becomes the holder starts every clock afresh (`promote`).
///
/// Not thread-safe; the server guards it with a lock.
public struct Lessor {
    /// Shorter TTLs are raised to this many seconds (etcd: 1.5 election timeouts).
    public let minimumTTL: Int64

    var leases: [LeaseID: Lease] = [:]

    // Timing side; see Lessor+Timing.
    var isPrimary = false
    /// When each lease expires; only while primary.
    var deadlines: [LeaseID: MonotonicInstant] = [:]
    /// When to look at each lease next: its deadline, or a retry time once its expiry was reported.
    var checks = ExpiryQueue()
    /// Leases granted while primary whose clock starts at the next `startClocks`.
    var awaitingClock: [LeaseID] = []

    public init(minimumTTL: Int64) {
        self.minimumTTL = minimumTTL
    }

    // MARK: - Applied side

    /// Creates a lease with a TTL raised to the minimum. The ID was chosen before proposing, so
    /// every member grants the same one.
    @discardableResult
    public mutating func grant(id: LeaseID, ttl: Int64) throws(EtcdError) -> Lease {
        precondition(id != 0, "lease ID 0 means no lease; the server picks an ID before proposing")
        if ttl > LeaseLimits.maxTTL { throw .leaseTTLTooLarge }
        if leases[id] != nil { throw .leaseExists }
        let lease = Lease(id: id, ttl: max(ttl, minimumTTL))
        leases[id] = lease
        if isPrimary { awaitingClock.append(id) }
        return lease
    }

    /// Removes the lease and returns it; the caller deletes its keys in the same revision.
    public mutating func revoke(id: LeaseID) -> Lease? {
        guard let lease = leases.removeValue(forKey: id) else { return nil }
        deadlines[id] = nil
        checks.remove(id)
        return lease
    }

    /// Moves keys between leases as a committed write changed them: a key leaves the lease its
    /// previous version carried and joins the one its new version carries. Events of one write
    /// are taken in order, so a key put and deleted in one transaction ends up detached.
    public mutating func trackAttachments(of events: [Event]) {
        for event in events {
            if let previous = event.prevKV, previous.lease != 0 {
                leases[previous.lease]?.keys.remove(previous.key)
            }
            if event.type == .put, let kv = event.kv, kv.lease != 0 {
                leases[kv.lease]?.keys.insert(kv.key)
            }
        }
    }

    public func lease(_ id: LeaseID) -> Lease? {
        leases[id]
    }
}
