import Logging
import NIOCore
import PeerTransport

/// Notices that this member was removed from the cluster while it could not hear about it (the
/// removal is committed by the others, who then refuse its traffic), and stops it, as etcd
/// does: once the member has had no leader for a few seconds, it asks the other members
/// whether its ID was removed.
final class RemovalWatch: @unchecked Sendable {
    static let interval = TimeAmount.seconds(1)
    /// Checks without a leader before asking.
    static let leaderlessChecks = 2

    private unowned let server: EtcdServer
    private let group: EventLoopGroup
    // Confined to the event loop given to `start`.
    private var task: RepeatedTask?
    private var missedChecks = 0
    private var asking = false

    init(server: EtcdServer, group: EventLoopGroup) {
        self.server = server
        self.group = group
    }

    func start(on eventLoop: EventLoop) {
        task = eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [self] _ in check(on: eventLoop) }
    }

    func stop() {
        task?.cancel()
    }

    private func check(on eventLoop: EventLoop) {
        missedChecks = server.hasLeader ? 0 : missedChecks + 1
        guard missedChecks >= Self.leaderlessChecks, !asking else { return }
        let id = server.memberID
        let payload = BigEndian.bytes(id)
        let urls = server.stateMachine.members.members.filter { $0.id != id }.flatMap(\.peerURLs)
        guard !urls.isEmpty else { return }
        asking = true
        let answers = urls.map { url in
            PeerTransport.request(url: url, kind: PeerRequestKind.removalCheck.rawValue, payload: payload,
                                  clusterID: server.clusterID, timeout: .seconds(1), group: group)
                .map { $0 == [1] }
                .recover { _ in false }
        }
        EventLoopFuture.whenAllSucceed(answers, on: eventLoop).whenSuccess { [self] removed in
            asking = false
            if removed.contains(true) { server.removedFromCluster() }
        }
    }
}
