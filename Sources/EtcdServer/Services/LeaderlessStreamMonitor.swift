import EtcdWire
import GRPCTransport
import NIOConcurrencyHelpers
import NIOCore

/// Streams opened with `hasleader=true` (clientv3's WithRequireLeader, which etcdctl watch
/// uses) are ended with `etcdserver: no leader` once the member has had no leader for three
/// election timeouts in a row, as etcd does: clients then reconnect to a member that has one.
/// New calls without a leader are refused at once by the router.
final class LeaderlessStreamMonitor: @unchecked Sendable {
    static let leaderlessChecks = 3

    private let streams = NIOLockedValueBox([ObjectIdentifier: GRPCServerCall]())
    private let hasLeader: () -> Bool
    // Confined to the event loop given to `start`.
    private var missedChecks = 0
    private var task: RepeatedTask?

    init(hasLeader: @escaping () -> Bool) {
        self.hasLeader = hasLeader
    }

    func start(on eventLoop: EventLoop, every interval: TimeAmount) {
        task = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in check() }
    }

    func stop() {
        task?.cancel()
    }

    func watch(_ call: GRPCServerCall) {
        streams.withLockedValue { $0[ObjectIdentifier(call)] = call }
    }

    func forget(_ call: GRPCServerCall) {
        streams.withLockedValue { $0[ObjectIdentifier(call)] = nil }
    }

    private func check() {
        missedChecks = hasLeader() ? 0 : missedChecks + 1
        guard missedChecks >= Self.leaderlessChecks else { return }
        let ended = streams.withLockedValue { streams in
            defer { streams = [:] }
            return Array(streams.values)
        }
        for call in ended { call.abort(GRPCStatus(EtcdError.noLeader)) }
    }
}
