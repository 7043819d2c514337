import Dispatch
import EtcdWire
import NIOConcurrencyHelpers
import NIOCore

/// The facts the health endpoints are made of, read from this member: alarms, leader,
/// learner, and whether reads go through. Each read check reports nil when fine, or why not.
struct HealthChecks: Sendable {
    let server: EtcdServer

    /// The cluster's active alarms (every member's, as etcd's alarm store holds them).
    func activeAlarms() -> [AlarmType] {
        server.stateMachine.activeAlarms().map(\.alarm)
    }

    var hasLeader: Bool { server.hasLeader }

    var isLearner: Bool { server.isLearner }

    /// etcd's local read check: a Range of one key, keys only, answered from this member's
    /// store without asking the cluster.
    func serializableRead() -> EtcdError? {
        var request = RangeRequest()
        request.key = [0]
        request.limit = 1
        request.keysOnly = true
        request.serializable = true
        do {
            _ = try server.stateMachine.range(request)
            return nil
        } catch {
            return EtcdError.from(error)
        }
    }

    /// Reports once a linearizable read could be served (a ReadIndex round confirmed this
    /// member's state), or why not: after the request timeout, or `timeout` if shorter.
    func linearizableRead(timeout: TimeAmount? = nil, _ done: @escaping @Sendable (EtcdError?) -> Void) {
        let once = ReportOnce(done)
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds))) {
                once.report(.timeout)
            }
        }
        server.raftLoop.read { result in
            switch result {
            case .success: once.report(nil)
            case .failure(let error): once.report(error)
            }
        }
    }
}

/// Hands on the first of several racing outcomes (an answer, a timeout) and drops the rest.
private final class ReportOnce: Sendable {
    private let done: NIOLockedValueBox<(@Sendable (EtcdError?) -> Void)?>

    init(_ done: @escaping @Sendable (EtcdError?) -> Void) {
        self.done = NIOLockedValueBox(done)
    }

    func report(_ error: EtcdError?) {
        let done = self.done.withLockedValue { done in
            defer { done = nil }
            return done
        }
        done?(error)
    }
}
