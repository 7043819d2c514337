import EtcdWire
import Lease
import NIOConcurrencyHelpers
import NIOCore

/// The member's `Lessor` behind a lock, with the clock it never reads itself.
///
/// The apply loop changes the applied side (grant, revoke, attachments) while it holds the
/// state machine's lock; event loops renew and read it, and the expiry timer takes what expired.
/// Each call holds this lock only briefly (a keep-alive costs O(log n)), so keep-alives do not
/// wait for a batch to finish applying. Lock order: the state machine's lock, then this one.
final class LeaseKeeper: @unchecked Sendable {
    // `lessor`, `revokeWaiters` and `idGenerator` are guarded by `lock`.
    private let lock = NIOLock()
    private var lessor: Lessor
    /// Keep-alives for expired leases, answered once the lease's revoke is applied.
    private var revokeWaiters: [LeaseID: [LeaseRevokeWaiter]] = [:]
    private var idGenerator: LeaseIDGenerator

    init(minimumTTL: Int64, idGenerator: LeaseIDGenerator) {
        lessor = Lessor(minimumTTL: minimumTTL)
        self.idGenerator = idGenerator
    }

    /// The event loops' monotonic clock.
    static func now() -> MonotonicInstant {
        MonotonicInstant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds))
    }

    /// An ID for a grant that did not ask for one, chosen before proposing (never while applying).
    func nextID() -> LeaseID {
        lock.withLock { idGenerator.next() }
    }

    // MARK: - Applied side: the apply loop only

    func exists(_ id: LeaseID) -> Bool {
        lock.withLock { lessor.lease(id) != nil }
    }

    func lease(_ id: LeaseID) -> Lease? {
        lock.withLock { lessor.lease(id) }
    }

    func grant(id: LeaseID, ttl: Int64) throws(EtcdError) -> Lease {
        // `withLock` rethrows untyped errors; the apply path needs the typed one.
        lock.lock()
        defer { lock.unlock() }
        return try lessor.grant(id: id, ttl: ttl)
    }

    /// Drops the lease (its keys are already deleted) and answers keep-alives waiting for that.
    func revoke(id: LeaseID) {
        let waiters = lock.withLock { () -> [LeaseRevokeWaiter] in
            _ = lessor.revoke(id: id)
            return revokeWaiters.removeValue(forKey: id) ?? []
        }
        for waiter in waiters { waiter.leaseRevoked(id) }
    }

    func trackAttachments(of events: [Event]) {
        if events.isEmpty { return }
        lock.withLock { lessor.trackAttachments(of: events) }
    }

    // MARK: - Snapshots (the apply loop only)

    func snapshotBytes() -> [UInt8] {
        lock.withLock { lessor.snapshotBytes() }
    }

    /// Replaces every lease with those of a snapshot, attached to `leasedKeys` of the restored
    /// store. Clocks start when the member next becomes the lease holder.
    func restore(from bytes: [UInt8], leasedKeys: [(key: [UInt8], lease: Int64)]) throws {
        let restored = try Lessor(restoringFrom: bytes, minimumTTL: lock.withLock { lessor.minimumTTL }, leasedKeys: leasedKeys)
        lock.withLock { lessor = restored }
    }

    // MARK: - Timing side

    /// Leases granted in the batch just applied start their clocks now.
    func startClocks() {
        lock.withLock { lessor.startClocks(now: Self.now()) }
    }

    /// This member holds the leases from now on; see `Lessor.promote`.
    func promote(extend: Duration) {
        lock.withLock { lessor.promote(now: Self.now(), extend: extend) }
    }

    /// Another member holds the leases from now on; see `Lessor.demote`.
    func demote() {
        lock.withLock { lessor.demote() }
    }

    /// A keep-alive. For a lease that already expired, `waiter` hears (on the apply thread) once
    /// its revoke has been applied; it is registered under the same lock as the check, so the
    /// revoke cannot slip in between.
    func renew(_ id: LeaseID, waiter: LeaseRevokeWaiter) -> Lessor.Renewal {
        lock.withLock {
            let renewal = lessor.renew(id, now: Self.now())
            if renewal == .expired { revokeWaiters[id, default: []].append(waiter) }
            return renewal
        }
    }

    /// What LeaseTimeToLive reports; nil for an unknown lease.
    func timeToLive(_ id: LeaseID) -> (remainingSeconds: Int64, lease: Lease)? {
        lock.withLock {
            guard let lease = lessor.lease(id), let remaining = lessor.remainingSeconds(id, now: Self.now()) else { return nil }
            return (remaining, lease)
        }
    }

    func idsByExpiry() -> [LeaseID] {
        lock.withLock { lessor.idsByExpiry() }
    }

    func takeExpired(limit: Int, retryAfter: Duration) -> [LeaseID] {
        lock.withLock { lessor.takeExpired(now: Self.now(), limit: limit, retryAfter: retryAfter) }
    }
}

/// Something waiting for an expired lease's revoke to be applied (a held keep-alive answer).
protocol LeaseRevokeWaiter: AnyObject, Sendable {
    func leaseRevoked(_ id: LeaseID)
}
