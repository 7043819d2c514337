import EtcdWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Raft
import WAL

/// The consensus loop of one member, on a thread of its own: proposals go into the Raft log,
/// the log is persisted in the WAL (one fsync per batch), and committed entries are applied in
/// order to the state machine, which answers the waiting clients.
///
/// Event-loop threads hand commands in with `propose`; every command that arrives while the
/// loop is busy joins the next batch, so all of them share the next log write and fsync.
/// Completions run on the loop thread; they only hand their result on (a gRPC call hops to its
/// own event loop).
final class RaftLoop: @unchecked Sendable {
    typealias Completion = @Sendable (Result<CommandResult, EtcdError>) -> Void

    // Confined to `loop`: the Raft node, its log, and the clients waiting for their entries.
    private let node: RawNode
    private let log: MemberLog
    private var waiting: [UInt64: Completion] = [:]
    private var requestIDs: RequestIDGenerator
    private var tickTask: RepeatedTask?

    private let stateMachine: KVStateMachine
    private let changeFeed: KeyChangeFeed
    private let logger: Logger
    private let metrics: ServerMetrics
    private let tickInterval: TimeAmount
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: EventLoop
    private let inbox = NIOLockedValueBox(Inbox())
    private let published = NIOLockedValueBox(RaftFigures())

    private struct Inbox {
        var pending: [(Command, Completion)] = []
        var turnScheduled = false
        var stopped = false
    }

    init(log: MemberLog, electionTicks: Int, tickInterval: TimeAmount, stateMachine: KVStateMachine,
         changeFeed: KeyChangeFeed, logger: Logger, metrics: ServerMetrics) {
        self.log = log
        self.stateMachine = stateMachine
        self.changeFeed = changeFeed
        self.logger = logger
        self.metrics = metrics
        self.tickInterval = tickInterval
        loop = group.next()
        requestIDs = RequestIDGenerator(memberID: log.identity.memberID)
        let config = RaftConfig(id: log.identity.memberID, electionTick: electionTicks, heartbeatTick: 1,
                                applied: log.snapshotIndex, checkQuorum: true, preVote: true)
        node = RawNode(config: config, storage: log.storage, random: SystemRandomNumberGenerator())
    }

    /// Applies everything the log already committed (the replay after a restart), then takes
    /// leadership of the single-member cluster and starts ticking. Call once, before serving.
    func start() throws {
        try loop.submit {
            self.handleReadies()
            let replayed = self.node.status.applied
            if self.node.status.confState.voters == [self.log.identity.memberID] {
                self.node.campaign()
                self.handleReadies()
            }
            self.tickTask = self.loop.scheduleRepeatedTask(initialDelay: self.tickInterval, delay: self.tickInterval) { _ in
                self.node.tick()
                self.handleReadies()
            }
            self.logger.info("raft log ready", metadata: [
                "applied-index": "\(replayed)", "term": "\(self.node.status.term)",
                "leader": "\(String(self.node.status.leader, radix: 16))",
            ])
        }.wait()
    }

    /// Queues a command; the completion is called exactly once.
    func propose(_ command: Command, completion: @escaping Completion) {
        let scheduleTurn: Bool? = inbox.withLockedValue { inbox in
            if inbox.stopped { return nil }
            inbox.pending.append((command, completion))
            defer { inbox.turnScheduled = true }
            return !inbox.turnScheduled
        }
        switch scheduleTurn {
        case nil: completion(.failure(.stopped))
        case true?: loop.execute { self.turn() }
        case false?: break
        }
    }

    var figures: RaftFigures { published.withLockedValue { $0 } }

    private func turn() {
        let batch = inbox.withLockedValue { inbox -> [(Command, Completion)] in
            defer { inbox.pending = []; inbox.turnScheduled = false }
            return inbox.pending
        }
        for (command, completion) in batch {
            let id = requestIDs.next()
            do {
                try node.propose(Proposal(requestID: id, command: command).encoded())
                waiting[id] = completion
            } catch {
                metrics.proposalsFailed.increment()
                completion(.failure(Self.clientError(for: error)))
            }
        }
        metrics.proposalsPending.set(Double(waiting.count))
        handleReadies()
    }

    /// Persist, then apply, then advance, until Raft has nothing more to hand out.
    private func handleReadies() {
        while node.hasReady {
            let ready = node.ready()
            persist(ready)
            apply(ready.committedEntries)
            node.advance(ready)
            if let softState = ready.softState { noteLeadership(softState) }
        }
        let status = node.status
        published.withLockedValue { figures in
            figures.term = status.term
            figures.leader = status.leader
            figures.commitIndex = status.commit
            figures.appliedIndex = status.applied
        }
        stateMachine.setRaftTerm(status.term)
    }

    /// Nothing that depends on `ready` may be acknowledged before this returns. A failing disk
    /// stops the member: answering clients after a lost write would break every promise.
    private func persist(_ ready: Ready) {
        do {
            if let snapshot = ready.snapshot {
                try log.snapshotter.save(snapshot)
                try log.wal.saveSnapshotMarker(SnapshotMarker(snapshot.metadata))
            }
            try log.wal.save(hardState: ready.hardState ?? .empty, entries: ready.entries)
            if ready.mustSync || ready.hardState != nil {
                try log.wal.sync()
            }
        } catch {
            logger.critical("cannot persist the raft log; stopping", metadata: ["error": "\(error)"])
            exit(1)
        }
        do {
            if let snapshot = ready.snapshot { try log.storage.applySnapshot(snapshot) }
        } catch {
            logger.critical("cannot install snapshot; stopping", metadata: ["error": "\(error)"])
            exit(1)
        }
        log.storage.append(ready.entries)
        if let hardState = ready.hardState { log.storage.setHardState(hardState) }
    }

    private func apply(_ entries: [Entry]) {
        guard let last = entries.last else { return }
        var commands: [Command] = []
        var requestIDs: [UInt64] = []
        for entry in entries {
            switch entry.type {
            case .normal:
                // A new leader's empty entry carries no command.
                guard !entry.data.isEmpty else { continue }
                do {
                    let proposal = try Proposal(decoding: entry.data)
                    commands.append(proposal.command)
                    requestIDs.append(proposal.requestID)
                } catch {
                    logger.critical("undecodable raft log entry; stopping", metadata: ["index": "\(entry.index)", "error": "\(error)"])
                    exit(1)
                }
            case .confChange:
                do {
                    _ = node.applyConfChange(try ConfChange(decoding: entry.data))
                } catch {
                    logger.critical("undecodable membership change; stopping", metadata: ["index": "\(entry.index)", "error": "\(error)"])
                    exit(1)
                }
            }
        }
        let results = stateMachine.apply(commands, appliedIndex: last.index)
        // Applying reads no clock, so leases granted in the batch start their clocks here.
        stateMachine.leases.startClocks()
        for (id, result) in zip(requestIDs, results) {
            waiting.removeValue(forKey: id)?(result)
        }
        metrics.proposalsPending.set(Double(waiting.count))
        // After the answers, so that waiting locks and elections do not delay them.
        changeFeed.storeAdvanced()
    }

    private func noteLeadership(_ softState: SoftState) {
        let isLeader = softState.role == .leader
        metrics.hasLeader.set(to: softState.leader == 0 ? 0 : 1)
        metrics.isLeader.set(to: isLeader ? 1 : 0)
        if softState.leader != 0 { metrics.leaderChanges.increment() }
        logger.info("raft leadership changed", metadata: [
            "leader": "\(String(softState.leader, radix: 16))", "role": "\(softState.role)",
        ])
    }

    private static func clientError(for error: Error) -> EtcdError {
        switch error as? RaftError {
        case .noLeader?: return .noLeader
        case .leaderTransferInProgress?: return .leaderChanged
        default: return EtcdError(code: .unavailable, message: "etcdserver: \(error)")
        }
    }

    /// Fails everything still queued or waiting, and stops the thread after a last sync.
    func shutdown() {
        let leftovers = inbox.withLockedValue { inbox -> [(Command, Completion)] in
            inbox.stopped = true
            defer { inbox.pending = [] }
            return inbox.pending
        }
        for (_, completion) in leftovers { completion(.failure(.stopped)) }
        try? loop.submit {
            self.tickTask?.cancel()
            for completion in self.waiting.values { completion(.failure(.stopped)) }
            self.waiting = [:]
        }.wait()
        try? group.syncShutdownGracefully()
    }
}

/// What the loop last published about Raft, for Status and response headers.
struct RaftFigures {
    var term: UInt64 = 0
    var leader: UInt64 = 0
    var commitIndex: UInt64 = 0
    var appliedIndex: UInt64 = 0
}

/// Request IDs that stay unique across restarts: the member's low bits, the start time in
/// milliseconds, and a counter, as etcd builds them. Entries replayed from an earlier run never
/// match a request of this run.
struct RequestIDGenerator {
    private var last: UInt64

    init(memberID: UInt64, unixMilliseconds: UInt64 = unixTimeMilliseconds()) {
        last = (memberID & 0xFFFF) << 48 | (unixMilliseconds & 0xFF_FFFF_FFFF) << 8
    }

    mutating func next() -> UInt64 {
        last &+= 1
        return last
    }
}
