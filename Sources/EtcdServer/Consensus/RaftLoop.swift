import EtcdWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Raft
import Synchronization
import WAL

/// What the consensus loop needs from the rest of the member: the network, and whom to tell
/// about leadership and membership. Called on the loop's thread; must not block.
protocol RaftLoopDelegate: AnyObject, Sendable {
    func send(_ message: Message)
    /// Sends a snapshot message on a channel of its own; `delivered` is reported exactly once.
    func sendSnapshot(_ message: Message, delivered: @escaping @Sendable (Bool) -> Void)
    func leadershipChanged(to leader: UInt64, isLeader: Bool)
    /// A membership change or a snapshot was applied.
    func membershipChanged()
    /// A committed change removed this member: it must stop serving.
    func removedFromCluster()
}

/// The consensus loop of one member, on a thread of its own: proposals go into the Raft log,
/// the log is persisted in the WAL (one fsync per batch), messages go to the peers, and
/// committed entries are applied in order to the state machine, which answers the waiting
/// clients (on this member, or on the follower that forwarded the proposal).
///
/// Event-loop threads hand work in (`propose`, `changeMembership`, `read`, `step`, ...); work
/// that arrives while the loop is busy joins the next batch, so all of it shares the next log
/// write and fsync. Completions run on the loop thread; they only hand their result on.
final class RaftLoop: @unchecked Sendable {
    typealias Completion = @Sendable (Result<CommandResult, EtcdError>) -> Void
    typealias Done = @Sendable (Result<Void, EtcdError>) -> Void

    enum Work {
        case propose(Command, Completion)
        case changeMembership(MembershipRequest, Done)
        case read(Done)
        case step(Message)
        case snapshotSent(to: UInt64, delivered: Bool)
        case unreachable(UInt64)
        case transferLeadership(to: UInt64, Done)
    }

    struct Timing {
        var tickInterval: TimeAmount
        var electionTicks: Int
        /// How long a client waits for its proposal or read before `request timed out`.
        var requestTimeout: TimeAmount
        /// Applied entries between snapshots (`--snapshot-count`).
        var snapshotCount: UInt64
    }

    /// Entries kept in memory behind a snapshot, so that a follower slightly behind gets
    /// entries rather than a whole snapshot (etcd keeps 5000).
    static let catchUpEntries: UInt64 = 5000
    /// Applied entries kept in memory between snapshots beyond what known followers need: for
    /// followers whose progress this member does not know (on a follower, all of them, should
    /// it become leader).
    static let retainedEntries: UInt64 = 1000

    // Confined to `loop`.
    let node: RawNode
    let log: MemberLog
    var pending = PendingRequests()
    var reads = LinearizableReads()
    /// Proposals made while no leader was known, proposed again once there is one.
    var parked: [(id: UInt64, data: [UInt8], isConfChange: Bool)] = []
    var transfers: [(target: UInt64, deadline: NIODeadline, done: Done)] = []
    var requestIDs: RequestIDGenerator
    /// Index of the newest snapshot, saved here or received from the leader.
    var snapshotIndex: UInt64
    private var tickTask: RepeatedTask?

    let stateMachine: KVStateMachine
    let changeFeed: KeyChangeFeed
    let logger: Logger
    let metrics: ServerMetrics
    let timing: Timing
    weak var delegate: RaftLoopDelegate?
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop: EventLoop
    private let inbox = NIOLockedValueBox(Inbox())
    private let published = NIOLockedValueBox(RaftFigures())
    // Read on requests' paths, so kept out of the figures' lock.
    private let knownLeader = Atomic<UInt64>(0)
    private let leadsAsOnlyVoter = Atomic<Bool>(false)

    private struct Inbox {
        var work: [Work] = []
        var turnScheduled = false
        var stopped = false
    }
    /// Whether this member led as of the last `Ready` (its soft state); only on `loop`.
    private var leads = false
    /// An empty array with capacity that `turn` swaps in for the inbox's, so a steady flow of
    /// work does not grow a new array for every turn. Touched only on `loop`.
    private var spareWork: [Work] = []

    var memberID: UInt64 { log.identity.memberID }

    init(log: MemberLog, timing: Timing, stateMachine: KVStateMachine, changeFeed: KeyChangeFeed,
         logger: Logger, metrics: ServerMetrics) {
        self.log = log
        self.timing = timing
        self.stateMachine = stateMachine
        self.changeFeed = changeFeed
        self.logger = logger
        self.metrics = metrics
        loop = group.next()
        requestIDs = RequestIDGenerator(memberID: log.identity.memberID)
        snapshotIndex = log.snapshotIndex
        let config = RaftConfig(id: log.identity.memberID, electionTick: timing.electionTicks, heartbeatTick: 1,
                                applied: log.snapshotIndex, checkQuorum: true, preVote: true)
        node = RawNode(config: config, storage: log.storage, random: SystemRandomNumberGenerator())
    }

    /// Applies everything the log already committed (the replay after a restart), takes
    /// leadership at once when this member is the only voter, and starts ticking. Call once.
    func start() throws {
        try loop.submit {
            self.handleReadies()
            let replayed = self.node.status.applied
            if self.node.status.confState.voters == [self.memberID] {
                self.node.campaign()
                self.handleReadies()
            }
            self.tickTask = self.loop.scheduleRepeatedTask(initialDelay: self.timing.tickInterval, delay: self.timing.tickInterval) { _ in
                self.tick()
            }
            self.logger.info("raft log ready", metadata: [
                "snapshot-index": "\(self.log.snapshotIndex)", "applied-index": "\(replayed)", "term": "\(self.node.status.term)",
                "voters": "\(self.node.status.confState.voters.map { String($0, radix: 16) })",
            ])
        }.wait()
    }

    // MARK: - Work from other threads

    /// Queues a command; the completion is called exactly once.
    func propose(_ command: Command, completion: @escaping Completion) {
        submit(.propose(command, completion)) { completion(.failure(.stopped)) }
    }

    func changeMembership(_ request: MembershipRequest, done: @escaping Done) {
        submit(.changeMembership(request, done)) { done(.failure(.stopped)) }
    }

    /// Calls `done` once a linearizable read may be served from the applied state.
    func read(done: @escaping Done) {
        submit(.read(done)) { done(.failure(.stopped)) }
    }

    /// A message from a peer.
    func step(_ message: Message) {
        submit(.step(message)) {}
    }

    func reportUnreachable(_ peer: UInt64) {
        submit(.unreachable(peer)) {}
    }

    func transferLeadership(to target: UInt64, done: @escaping Done) {
        submit(.transferLeadership(to: target, done)) { done(.failure(.stopped)) }
    }

    var figures: RaftFigures { published.withLockedValue { $0 } }

    /// The leader this member knows of; 0 for none.
    var leader: UInt64 { knownLeader.load(ordering: .relaxed) }

    /// This member is the only voter and leads: everything committed is applied before anyone
    /// is answered, so a linearizable read needs no ReadIndex round.
    var readsLocally: Bool { leadsAsOnlyVoter.load(ordering: .relaxed) }

    private func submit(_ work: Work, ifStopped: () -> Void) {
        let scheduleTurn: Bool? = inbox.withLockedValue { inbox in
            if inbox.stopped { return nil }
            inbox.work.append(work)
            defer { inbox.turnScheduled = true }
            return !inbox.turnScheduled
        }
        switch scheduleTurn {
        case nil: ifStopped()
        case true?: loop.execute { self.turn() }
        case false?: break
        }
    }

    // MARK: - The loop

    private func turn() {
        var batch = spareWork
        spareWork = []
        inbox.withLockedValue { inbox in
            swap(&batch, &inbox.work)
            inbox.turnScheduled = false
        }
        defer {
            // Keep a usual batch's room for the next turn; give an exceptional one's back.
            if batch.capacity <= 1024 { batch.removeAll(keepingCapacity: true) } else { batch = [] }
            spareWork = batch
        }
        let deadline = NIODeadline.now() + timing.requestTimeout
        for work in batch {
            switch work {
            case .propose(let command, let completion):
                let id = requestIDs.next()
                pending.register(id, .command(completion), deadline: deadline)
                propose(id: id, data: Proposal(requestID: id, command: command).encoded(), isConfChange: false)
            case .changeMembership(let request, let done):
                proposeMembershipChange(request, deadline: deadline, done: done)
            case .read(let done):
                reads.enqueue((deadline, done))
            case .step(let message):
                // A message the node refuses (say, a proposal forwarded to a member that is no
                // longer leader) is simply dropped; its sender times out and retries.
                try? node.step(message)
            case .snapshotSent(let peer, let delivered):
                node.reportSnapshot(to: peer, status: delivered ? .finished : .failed)
            case .unreachable(let peer):
                node.reportUnreachable(peer)
            case .transferLeadership(let target, let done):
                do {
                    try node.transferLeadership(to: target)
                    transfers.append((target, deadline, done))
                } catch {
                    done(.failure(error == .notLeader ? .notLeader : .badLeaderTransferee))
                }
            }
        }
        startReadRound()
        metrics.proposalsPending.set(Double(pending.count))
        handleReadies()
    }

    private func tick() {
        node.tick()
        let now = NIODeadline.now()
        for waiter in pending.takeExpired(now: now) {
            metrics.proposalsFailed.increment()
            waiter.fail(.timeout)
        }
        for done in reads.takeExpired(now: now) { done(.failure(.timeout)) }
        transfers.removeAll { transfer in
            guard transfer.deadline <= now else { return false }
            transfer.done(.failure(EtcdError(code: .unavailable, message: "etcdserver: request timed out, leader transfer took too long")))
            return true
        }
        if node.status.leader != 0 { proposeParked() }
        startReadRound()
        handleReadies()
    }

    /// Appends (or forwards) a proposal; with no leader known it is parked until there is one
    /// or its client's deadline passes.
    func propose(id: UInt64, data: [UInt8], isConfChange: Bool) {
        do {
            if isConfChange {
                try node.proposeConfChange(try ConfChange(decoding: data))
            } else {
                try node.propose(data)
            }
        } catch RaftError.noLeader {
            parked.append((id, data, isConfChange))
        } catch {
            metrics.proposalsFailed.increment()
            pending.take(id)?.fail(Self.clientError(for: error))
        }
    }

    private func proposeParked() {
        let retry = parked
        parked = []
        for proposal in retry where pending.contains(proposal.id) {
            propose(id: proposal.id, data: proposal.data, isConfChange: proposal.isConfChange)
        }
    }

    private func startReadRound() {
        guard let context = reads.startRound(now: .now(), retryAfter: timing.tickInterval * Int64(timing.electionTicks)) else { return }
        do {
            try node.readIndex(context: context)
        } catch {
            reads.roundRefused()
        }
    }

    /// Persist, send, apply and advance, until Raft has nothing more to hand out.
    func handleReadies() {
        while node.hasReady {
            let ready = node.ready()
            if let softState = ready.softState { leads = softState.role == .leader }
            // A leader's messages (appends, heartbeats) vouch for nothing on its own disk, so
            // they leave while it persists, as etcd's do: its fdatasync overlaps its followers'.
            // No entry of this ready is applied before the sync returns: applying comes after it
            // here, and followers' answers are handled in a later turn. Everyone else's messages
            // (votes, acknowledgements) wait for the sync they vouch for.
            if leads { for message in ready.messages { send(message) } }
            persist(ready)
            if !leads { for message in ready.messages { send(message) } }
            if let snapshot = ready.snapshot { restore(snapshot) }
            apply(ready.committedEntries)
            node.advance(ready)
            for state in ready.readStates { reads.confirm(context: state.context, index: state.index) }
            if let softState = ready.softState { noteLeadership(softState) }
        }
        let status = node.status
        for done in reads.takeReleased(applied: status.applied) { done(.success(())) }
        if status.applied >= snapshotIndex + timing.snapshotCount || log.storage.needsSnapshot {
            saveSnapshot(at: status.applied, confState: status.confState)
        } else {
            releaseAppliedEntries(status)
        }
        published.withLockedValue { figures in
            figures.term = status.term
            figures.leader = status.leader
            figures.commitIndex = status.commit
            figures.appliedIndex = status.applied
        }
        knownLeader.store(status.leader, ordering: .relaxed)
        leadsAsOnlyVoter.store(status.leader == memberID && status.confState.voters == [memberID], ordering: .relaxed)
        stateMachine.setRaftTerm(status.term)
    }

    /// Nothing that depends on `ready` may be sent or acknowledged before this returns. A
    /// failing disk stops the member: answering clients after a lost write would break every
    /// promise.
    private func persist(_ ready: Ready) {
        do {
            if let snapshot = ready.snapshot {
                try log.snapshotter.save(snapshot)
                try log.wal.saveSnapshotMarker(SnapshotMarker(snapshot.metadata))
            }
            try log.wal.save(hardState: ready.hardState ?? .empty, entries: ready.entries)
            // A hard state whose commit index alone moved waits for the next sync, as in etcd: a
            // commit index lost in a crash is learnt again, and skipping its fdatasync halves
            // the syncs of a lone write (entries, then their commit).
            if ready.mustSync {
                let fsync = Stopwatch()
                try log.wal.sync()
                metrics.walFsyncDuration.record(fsync.seconds)
            }
        } catch {
            logger.critical("cannot persist the raft log; stopping", metadata: ["error": "\(error)"])
            exit(1)
        }
        do {
            // Memory keeps the metadata; the data is on disk until a follower needs it (`send`).
            if let snapshot = ready.snapshot { try log.storage.applySnapshot(Snapshot(metadata: snapshot.metadata)) }
        } catch {
            logger.critical("cannot install snapshot; stopping", metadata: ["error": "\(error)"])
            exit(1)
        }
        log.storage.append(ready.entries)
        if let hardState = ready.hardState { log.storage.setHardState(hardState) }
    }

    private func send(_ message: Message) {
        guard message.type == .snap else {
            delegate?.send(message)
            return
        }
        let peer = message.to
        var message = message
        do {
            message.snapshot = try log.snapshotter.load(message.snapshot!.metadata)
        } catch {
            logger.warning("cannot read the snapshot a follower needs", metadata: ["to": "\(String(peer, radix: 16))", "error": "\(error)"])
            node.reportSnapshot(to: peer, status: .failed)
            return
        }
        delegate?.sendSnapshot(message) { [self] delivered in
            submit(.snapshotSent(to: peer, delivered: delivered)) {}
        }
    }

    private func noteLeadership(_ softState: SoftState) {
        let isLeader = softState.role == .leader
        metrics.hasLeader.set(to: softState.leader == 0 ? 0 : 1)
        metrics.isLeader.set(to: isLeader ? 1 : 0)
        if softState.leader != 0 { metrics.leaderChanges.increment() }
        logger.info("raft leadership changed", metadata: [
            "leader": "\(String(softState.leader, radix: 16))", "role": "\(softState.role)",
        ])
        transfers.removeAll { transfer in
            guard transfer.target == softState.leader else { return false }
            transfer.done(.success(()))
            return true
        }
        if softState.leader != 0 { proposeParked() }
        delegate?.leadershipChanged(to: softState.leader, isLeader: isLeader)
    }

    static func clientError(for error: Error) -> EtcdError {
        switch error as? RaftError {
        case .noLeader?: return .noLeader
        case .leaderTransferInProgress?: return .leaderChanged
        case .leaderBeingRemoved?, .notInConfiguration?: return .notLeader
        case .confChangePending?: return EtcdError(code: .failedPrecondition, message: "etcdserver: another membership change is in progress")
        default: return EtcdError(code: .unavailable, message: "etcdserver: \(error)")
        }
    }

    /// Fails everything still queued or waiting, and stops the thread after a last sync.
    func shutdown() {
        let leftovers = inbox.withLockedValue { inbox -> [Work] in
            inbox.stopped = true
            defer { inbox.work = [] }
            return inbox.work
        }
        for work in leftovers {
            switch work {
            case .propose(_, let completion): completion(.failure(.stopped))
            case .changeMembership(_, let done), .read(let done), .transferLeadership(_, let done): done(.failure(.stopped))
            case .step, .snapshotSent, .unreachable: break
            }
        }
        try? loop.submit {
            self.tickTask?.cancel()
            for waiter in self.pending.takeAll() { waiter.fail(.stopped) }
            for done in self.reads.takeAll() { done(.failure(.stopped)) }
            for transfer in self.transfers { transfer.done(.failure(.stopped)) }
            self.transfers = []
            // Every batch was synced when persisted; this last sync makes that explicit for
            // whatever a failing disk might have left behind.
            try? self.log.wal.sync()
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
