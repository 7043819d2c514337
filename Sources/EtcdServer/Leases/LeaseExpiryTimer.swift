import EtcdWire
import Lease
import Logging
import NIOCore

/// The lease holder's expiry check: twice a second it takes the leases past their deadline
/// and proposes a revoke for each, so expiry goes through the same ordered apply path as any
/// write and every member deletes the same keys at the same revision.
///
/// Finding what expired costs O(log n) per expired lease (`Lessor.takeExpired`), nothing for
/// the others, so thousands of live leases cost nothing per tick.
final class LeaseExpiryTimer: @unchecked Sendable {
    /// etcd's lessor looks every 500 ms and revokes at most 1000 leases a second.
    static let interval = TimeAmount.milliseconds(500)
    static let revokesPerTick = 500
    /// A lease reported as expired is reported again if still there after this long (its
    /// revoke was lost, e.g. refused while the server was busy), as etcd retries.
    static let retryAfter = Duration.seconds(3)

    private let leases: LeaseKeeper
    private let propose: (Command, @escaping @Sendable (Result<CommandResult, EtcdError>) -> Void) -> Void
    private let logger: Logger
    // Set once by `start` and cleared by `stop`, both on the caller's thread before and after serving.
    private var task: RepeatedTask?

    init(
        leases: LeaseKeeper, logger: Logger,
        propose: @escaping (Command, @escaping @Sendable (Result<CommandResult, EtcdError>) -> Void) -> Void
    ) {
        self.leases = leases
        self.logger = logger
        self.propose = propose
    }

    func start(on eventLoop: EventLoop) {
        task = eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [self] _ in
            revokeExpired()
        }
    }

    func stop() {
        task?.cancel()
        task = nil
    }

    private func revokeExpired() {
        let logger = self.logger
        for id in leases.takeExpired(limit: Self.revokesPerTick, retryAfter: Self.retryAfter) {
            var request = LeaseRevokeRequest()
            request.id = id
            propose(.leaseRevoke(request)) { result in
                // Not found: a client revoked it first. Anything else is retried after `retryAfter`.
                if case .failure(let error) = result, error != .leaseNotFound {
                    logger.warning("failed to revoke an expired lease", metadata: [
                        "lease-id": "\(String(id, radix: 16))", "error": "\(error)",
                    ])
                }
            }
        }
    }
}
