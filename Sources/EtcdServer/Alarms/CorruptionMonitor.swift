import EtcdWire
import NIOCore

/// etcd's `--experimental-corrupt-check-time`: every interval the leader compares its HashKV
/// with its followers' at its revision (`HashKVComparison.periodic`); an inconsistency raises a
/// CORRUPT alarm through the log, for member 0 as etcd 3.4.23 does, since it cannot tell which
/// member is wrong. Followers do nothing.
final class CorruptionMonitor: @unchecked Sendable {
    // `task` and `stopped` are confined to `eventLoop`.
    private var task: Scheduled<Void>?
    private var stopped = false
    private unowned let server: EtcdServer
    private let interval: TimeAmount
    private let eventLoop: EventLoop

    init(server: EtcdServer, interval: TimeAmount, eventLoop: EventLoop) {
        self.server = server
        self.interval = interval
        self.eventLoop = eventLoop
    }

    func start() {
        eventLoop.execute { [self] in
            server.logger.info("enabled corruption checking", metadata: [
                "local-member-id": "\(String(server.memberID, radix: 16))", "interval": "\(interval.nanoseconds / 1_000_000)ms",
            ])
            wait()
        }
    }

    /// Call before the event loop and the consensus loop stop.
    func stop() {
        try? eventLoop.submit { [self] in
            stopped = true
            task?.cancel()
        }.wait()
    }

    private func wait() {
        guard !stopped else { return }
        task = eventLoop.scheduleTask(in: interval) { [self] in check() }
    }

    private func check() {
        guard server.isLeader else { return wait() }
        let before: HashKVFigures
        switch server.memberHashKV(at: 0) {
        case .success(let response): before = HashKVFigures(response)
        case .failure(let error): return failed(error)
        }
        server.peerHashKVs(at: before.revision, on: eventLoop).whenSuccess { [self] peers in
            server.linearizableRead(on: eventLoop) { [self] ready in
                do {
                    try ready.get()
                    let after = HashKVFigures(try server.memberHashKV(at: 0).get())
                    compare(before: before, after: after, peers: peers)
                } catch {
                    failed(error)
                }
            }
        }
    }

    private func compare(before: HashKVFigures, after: HashKVFigures, peers: [PeerHashKV]) {
        let comparison = HashKVComparison.periodic(before: before, after: after, peers: peers, localMember: server.memberID)
        for finding in comparison.findings { server.logger.warning("\(finding.message)", metadata: finding.metadata) }
        if !comparison.mismatched.isEmpty { raiseCorruptAlarm() }
        server.logger.info("finished peer corruption check", metadata: ["number-of-peers-checked": "\(HashKVComparison.answered(peers))"])
        wait()
    }

    private func failed(_ error: Error) {
        server.logger.warning("failed to check hash KV", metadata: ["error": "\(error)"])
        wait()
    }

    private func raiseCorruptAlarm() {
        var request = AlarmRequest()
        request.action = .activate
        request.memberID = 0
        request.alarm = .corrupt
        let logger = server.logger
        server.propose(.alarm(request)) { result in
            if case .failure(let error) = result {
                logger.warning("failed to raise the CORRUPT alarm", metadata: ["error": "\(error)"])
            }
        }
    }
}
