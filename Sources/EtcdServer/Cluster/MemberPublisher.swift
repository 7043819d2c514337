import EtcdWire
import NIOCore

/// Announces this member's name and client URLs to the cluster once it is running (a command
/// in the log, as etcd's "publish"), so that `member list` shows them on every member. Retries
/// until the announcement is applied; nothing is proposed when the list already agrees.
final class MemberPublisher: @unchecked Sendable {
    private static let retryInterval = TimeAmount.milliseconds(500)
    private unowned let server: EtcdServer
    // Confined to the event loop given to `start`.
    private var task: Scheduled<Void>?
    private var stopped = false
    private var eventLoop: EventLoop?
    private var published: EventLoopPromise<Void>?

    init(server: EtcdServer) {
        self.server = server
    }

    /// Starts announcing; the future succeeds once the member list agrees with this member.
    func start(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        self.eventLoop = eventLoop
        let published = eventLoop.makePromise(of: Void.self)
        self.published = published
        eventLoop.execute { self.attempt() }
        return published.futureResult
    }

    func stop() {
        try? eventLoop?.submit {
            self.stopped = true
            self.task?.cancel()
            self.published?.fail(EtcdError.stopped)
        }.wait()
    }

    private var announcement: Member {
        var member = Member()
        member.id = server.memberID
        member.name = server.configuration.name
        member.clientURLs = server.configuration.advertiseClientURLs.map(\.description)
        return member
    }

    private func attempt() {
        guard !stopped, let eventLoop else { return }
        let wanted = announcement
        // A joining member is not in its own list until it has caught up.
        let listed = server.stateMachine.members.member(wanted.id)
        if let listed, listed.name == wanted.name, listed.clientURLs == wanted.clientURLs {
            published?.succeed(())
            return
        }
        guard listed != nil, server.hasLeader else {
            task = eventLoop.scheduleTask(in: Self.retryInterval) { self.attempt() }
            return
        }
        server.propose(.publishMember(wanted)) { result in
            eventLoop.execute {
                if case .failure(let error) = result {
                    self.server.logger.debug("publishing member attributes failed; retrying", metadata: ["error": "\(error)"])
                }
                guard !self.stopped else { return }
                self.task = eventLoop.scheduleTask(in: Self.retryInterval) { self.attempt() }
            }
        }
    }
}
