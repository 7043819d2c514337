import EtcdWire
import Logging
import NIOCore

/// Runs a `CompactionSchedule` on an event loop: while this member leads, the compactions it
/// asks for are proposed as ordinary `compact` commands, so every member compacts at the same
/// point of the log. Each compaction is logged.
final class AutoCompactor: @unchecked Sendable {
    typealias Propose = (Command, @escaping @Sendable (Result<CommandResult, EtcdError>) -> Void) -> Void

    // `schedule`, `task` and `stopped` are confined to `eventLoop`.
    private var schedule: any CompactionSchedule
    private var task: Scheduled<Void>?
    private var stopped = false
    private let eventLoop: EventLoop
    private let currentRevision: () -> Int64
    private let isLeader: () -> Bool
    private let propose: Propose
    private let logger: Logger

    init(schedule: any CompactionSchedule, eventLoop: EventLoop, currentRevision: @escaping () -> Int64,
         isLeader: @escaping () -> Bool, propose: @escaping Propose, logger: Logger) {
        self.schedule = schedule
        self.eventLoop = eventLoop
        self.currentRevision = currentRevision
        self.isLeader = isLeader
        self.propose = propose
        self.logger = logger
    }

    /// The schedule `policy` describes, starting now.
    static func schedule(for policy: AutoCompactionPolicy) -> any CompactionSchedule {
        switch policy {
        case .periodic(let retention): return PeriodicCompactionSchedule(period: retention, startedAt: .now())
        case .revision(let retention): return RevisionCompactionSchedule(keep: retention)
        }
    }

    func start() {
        eventLoop.execute { [self] in
            logger.info("enabled auto compaction", metadata: ["mode": "\(schedule.mode)", "retention": "\(schedule.retention)"])
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
        schedule.willWait(currentRevision: currentRevision())
        task = eventLoop.scheduleTask(in: schedule.interval) { [self] in look() }
    }

    private func look() {
        guard isLeader(), let revision = schedule.due(now: .now(), currentRevision: currentRevision()) else {
            wait()
            return
        }
        var request = CompactionRequest()
        request.revision = revision
        propose(.compact(request)) { [self] result in
            eventLoop.execute { [self] in finished(at: revision, result) }
        }
    }

    private func finished(at revision: Int64, _ result: Result<CommandResult, EtcdError>) {
        let metadata: Logger.Metadata = ["revision": "\(revision)", "retention": "\(schedule.retention)"]
        switch result {
        case .success, .failure(.compacted):
            // Already compacted there (a client compacted further) counts as done, as in etcd.
            schedule.compacted(at: revision, now: .now())
            logger.info("completed auto \(schedule.mode) compaction", metadata: metadata)
        case .failure(let error):
            logger.warning("failed auto \(schedule.mode) compaction", metadata: metadata.merging([
                "retry-interval": "\(schedule.interval.nanoseconds / 1_000_000)ms", "error": "\(error)",
            ]) { current, _ in current })
        }
        wait()
    }
}

extension EtcdServer {
    /// The compactor `--auto-compaction-mode` and `--auto-compaction-retention` ask for, if any.
    func makeAutoCompactor(on eventLoop: EventLoop) -> AutoCompactor? {
        guard let policy = configuration.autoCompaction else { return nil }
        return AutoCompactor(schedule: AutoCompactor.schedule(for: policy), eventLoop: eventLoop,
                             currentRevision: { [unowned self] in stateMachine.currentRevision },
                             isLeader: { [unowned self] in isLeader }, propose: raftLoop.propose, logger: logger)
    }
}
