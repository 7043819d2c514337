import Dispatch
import EtcdWire
import GRPCTransport
import Lease
import Logging
import NIOCore
import NIOPosix
import PeerTransport
import Synchronization
import WAL
import Watch

/// One swift-etcd member: the applied state, the consensus loop, the peer port, the client
/// listeners and the services on them. Requests flow socket → HTTP/2 → gRPC call → service →
/// (read the applied state | propose a command → Raft log → WAL → peers → apply → store) →
/// response.
public final class EtcdServer: @unchecked Sendable {
    // Every stored property is immutable after init or internally synchronized, except
    // `transport`, `listeners` and `leaseExpiry`, which `start()` sets before anything runs
    // concurrently and `shutdown()` reads after.
    public static let serverVersion = "3.4.23"
    public static let clusterVersion = "3.4.0"

    public let configuration: ServerConfiguration
    public let memberID: UInt64
    public let clusterID: UInt64
    let logger: Logger
    let metrics: ServerMetrics
    let stateMachine: KVStateMachine
    /// Key changes for the server's own waiters (Lock and Election).
    let changeFeed: KeyChangeFeed
    let watchDispatcher: WatchDispatcher
    let raftLoop: RaftLoop
    let peerLink: PeerLink
    private let group: MultiThreadedEventLoopGroup
    private var transport: PeerTransport?
    private var listeners: [ClientPortServer] = []
    private var leaseExpiry: LeaseExpiryTimer?
    private var autoCompactor: AutoCompactor?
    private var corruptionMonitor: CorruptionMonitor?
    /// `--quota-backend-bytes`, checked where a write arrives, before it is proposed.
    let quota: BackendQuota
    /// Whether the data directory already held a log: etcd checks for corruption at start only then.
    private let hadLog: Bool
    private var publisher: MemberPublisher?
    private var leaderlessMonitor: LeaderlessStreamMonitor?
    private var removalWatch: RemovalWatch?
    /// Whether the applied member list has this member as a learner; kept by `membershipChanged`.
    private let learnerFlag = Atomic<Bool>(false)
    private let removalNoticed = Atomic<Bool>(false)
    private let shutdownOnce = RunOnce()

    /// Opens the data directory: replays an existing log, or creates one for a new cluster (or,
    /// with `--initial-cluster-state existing`, asks the running cluster who this member is).
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try prepareDirectory(configuration.dataDirectory)
        hadLog = try WAL.exists(dataDirectory: configuration.dataDirectory, fileSystem: PosixFileSystem())
        quota = BackendQuota(configuredBytes: configuration.quotaBackendBytes)
        let log = try MemberLog.open(dataDirectory: configuration.dataDirectory, maxSnapshots: configuration.maxSnapshots,
                                     maxWALs: configuration.maxWALs) {
            try ClusterBootstrap.logStart(configuration: configuration, logger: logger)
        }
        for repair in log.repairs { logger.warning("\(repair)") }
        memberID = log.identity.memberID
        clusterID = log.identity.clusterID
        metrics = ServerMetrics(serverVersion: Self.serverVersion, clusterVersion: Self.clusterVersion, memberID: memberID)
        let leases = LeaseKeeper(
            minimumTTL: configuration.minimumLeaseTTLSeconds,
            idGenerator: LeaseIDGenerator(memberID: memberID, unixMilliseconds: unixTimeMilliseconds()))
        var reportedMembers = log.reportedMembers
        if log.snapshotState == nil, reportedMembers.isEmpty, configuration.initialClusterState == .existing {
            // It joined before but stopped before the leader's first snapshot arrived, so it
            // knows no member to talk to: it asks the cluster again.
            let joined = try ClusterBootstrap.join(configuration, logger: logger)
            guard joined.identity == log.identity else {
                throw ConfigurationError("--data-dir \(configuration.dataDirectory) belongs to member \(String(log.identity.memberID, radix: 16)), but the cluster lists these peer URLs as member \(String(joined.identity.memberID, radix: 16)); remove the data dir and start again")
            }
            reportedMembers = joined.members
        }
        let members = ClusterMembers(log.snapshotState?.membership ?? MembershipState(members: reportedMembers))
        stateMachine = KVStateMachine(maxTxnOps: configuration.maxTxnOps, leases: leases, members: members, metrics: metrics, logger: logger)
        stateMachine.restoreAlarms(log.snapshotState?.alarms ?? [])
        if let sections = log.snapshotState?.store {
            try stateMachine.restore(store: sections.store, leases: sections.leases, appliedIndex: log.snapshotIndex)
        }
        watchDispatcher = WatchDispatcher(
            stateMachine: stateMachine,
            encoder: WatchResponseEncoder(clusterID: clusterID, memberID: memberID, raftTerm: stateMachine.raftTerm,
                                          fragmentBytes: configuration.maxReceiveMessageBytes),
            progressNotifyInterval: .milliseconds(Int64(configuration.watchProgressNotifyIntervalMs)))
        changeFeed = KeyChangeFeed(stateMachine: stateMachine)
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let tickInterval = TimeAmount.milliseconds(Int64(configuration.heartbeatIntervalMs))
        raftLoop = RaftLoop(
            log: log,
            timing: RaftLoop.Timing(tickInterval: tickInterval,
                                    electionTicks: configuration.electionTimeoutMs / configuration.heartbeatIntervalMs,
                                    requestTimeout: configuration.requestTimeout, snapshotCount: configuration.snapshotCount),
            stateMachine: stateMachine, changeFeed: changeFeed, logger: logger, metrics: metrics)
        peerLink = PeerLink(logger: logger)
    }

    /// Opens the peer port, starts the consensus loop and every client listener; returns the
    /// bound client addresses.
    @discardableResult
    public func start() throws -> [SocketAddress] {
        for flag in configuration.acceptedButInactive {
            logger.warning("flag --\(flag) is accepted but not implemented yet; it has no effect")
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }

        try startPeerPort()
        try raftLoop.start()
        // Loading a snapshot and replaying the log leave much of what they allocated free.
        HeapTrimmer.releaseFreePages()
        let leaseExpiry = LeaseExpiryTimer(leases: stateMachine.leases, logger: logger, propose: raftLoop.propose)
        leaseExpiry.start(on: group.next())
        self.leaseExpiry = leaseExpiry
        if configuration.initialCorruptCheck, hadLog { try checkInitialHashKV(on: group.next()) }
        autoCompactor = makeAutoCompactor(on: group.next())
        autoCompactor?.start()
        corruptionMonitor = configuration.corruptCheckInterval.map { CorruptionMonitor(server: self, interval: $0, eventLoop: group.next()) }
        corruptionMonitor?.start()

        // Like etcd, serve clients only once this member's name and client URLs are in the
        // cluster's member list (at once on a restart, when the log already has them).
        let publisher = MemberPublisher(server: self)
        self.publisher = publisher
        try publisher.start(on: group.next()).wait()
        let addresses = try startClientPorts()
        let removalWatch = RemovalWatch(server: self, group: group)
        removalWatch.start(on: group.next())
        self.removalWatch = removalWatch
        logger.info("ready to serve client requests",
                    metadata: ["member-id": "\(String(memberID, radix: 16))", "cluster-id": "\(String(clusterID, radix: 16))"])
        return addresses
    }

    private func startPeerPort() throws {
        let transport = PeerTransport(configuration: PeerTransportConfiguration(localID: memberID, clusterID: clusterID),
                                      group: group, logger: logger, handler: peerLink)
        peerLink.server = self
        peerLink.transport = transport
        peerLink.raftLoop = raftLoop
        raftLoop.delegate = peerLink
        self.transport = transport
        for url in configuration.listenPeerURLs {
            let address = try transport.listen(host: url.bindHost, port: url.port).wait()
            logger.info("listening for peers", metadata: ["address": "\(address)"])
        }
        peerLink.membershipChanged()
    }

    private func startClientPorts() throws -> [SocketAddress] {
        let leaderlessMonitor = LeaderlessStreamMonitor { [unowned self] in hasLeader }
        leaderlessMonitor.start(on: group.next(), every: .milliseconds(Int64(configuration.electionTimeoutMs)))
        self.leaderlessMonitor = leaderlessMonitor
        let router = ServiceRouter(services: [
            "etcdserverpb.KV": KVService(server: self).methods,
            "etcdserverpb.Maintenance": MaintenanceService(server: self).methods,
            "etcdserverpb.Cluster": ClusterService(server: self).methods,
            "grpc.health.v1.Health": HealthService(server: self).methods,
            "etcdserverpb.Lease": LeaseService(server: self).methods,
            "v3lockpb.Lock": LockService(server: self).methods,
            "v3electionpb.Election": ElectionService(server: self).methods,
            "etcdserverpb.Watch": WatchService(server: self).methods,
        ].merging(PendingServices.all) { current, _ in current }, metrics: metrics, hasLeader: { [unowned self] in hasLeader },
           isLearner: { [unowned self] in isLearner }, leaderlessMonitor: leaderlessMonitor)
        let http = HTTPEndpoints(server: self)

        let heapTrimmer = HeapTrimmer(loop: group.next())
        var addresses: [SocketAddress] = []
        for url in configuration.listenClientURLs {
            var portConfiguration = ClientPortConfiguration(host: url.bindHost, port: url.port)
            portConfiguration.maxReceiveMessageBytes = configuration.maxReceiveMessageBytes
            portConfiguration.maxConcurrentStreams = configuration.maxConcurrentStreams
            let listener = ClientPortServer(configuration: portConfiguration, group: group, grpc: router, http: http,
                                            logger: logger, connectionClosed: { heapTrimmer.connectionClosed() })
            addresses.append(try listener.start().wait())
            listeners.append(listener)
            logger.info("serving client traffic insecurely; this is strongly discouraged!", metadata: ["address": "\(url)"])
        }
        return addresses
    }

    /// How long client connections get to finish the calls they have under way after GOAWAY
    /// (watches and other long streams are then cut).
    static let clientGracePeriod = TimeAmount.seconds(2)

    /// Stops the member as etcd does, within a few seconds: no new client connections and
    /// GOAWAY on the open ones; leadership handed to another voter while the calls under way
    /// finish (or fail with `server stopped`); the log synced; everything closed. A second
    /// caller waits for the first.
    public func shutdown() {
        shutdownOnce.run {
            logger.info("closing etcd server", metadata: ["name": "\(configuration.name)", "data-dir": "\(configuration.dataDirectory)"])
            let stopping = Stopwatch()
            let drained = listeners.map { $0.shutdown(gracePeriod: Self.clientGracePeriod) }
            publisher?.stop()
            removalWatch?.stop()
            leaseExpiry?.stop()
            autoCompactor?.stop()
            corruptionMonitor?.stop()
            // A transfer ends within an election timeout in Raft; the margin covers the round trips.
            handOverLeadership(within: .milliseconds(Int64(2 * configuration.electionTimeoutMs)))
            for connections in drained { try? connections.wait() }
            leaderlessMonitor?.stop()
            raftLoop.shutdown()
            try? transport?.shutdown().wait()
            try? group.syncShutdownGracefully()
            logger.info("closed etcd server", metadata: ["took": "\(Int(stopping.seconds * 1000))ms"])
        }
    }

    // MARK: - Called by the consensus loop

    /// The leader holds the leases: on taking over, each gets its full TTL plus an election
    /// timeout, as etcd does; a member that stops leading stops their clocks.
    func leadershipChanged(isLeader: Bool) {
        if isLeader {
            stateMachine.leases.promote(extend: .milliseconds(configuration.electionTimeoutMs))
        } else {
            stateMachine.leases.demote()
        }
    }

    /// The applied member list changed.
    func membershipChanged() {
        learnerFlag.store(stateMachine.members.member(memberID)?.isLearner ?? false, ordering: .relaxed)
    }

    /// A committed change removed this member: like etcd, it stops (off the loop's thread,
    /// which the shutdown waits for).
    func removedFromCluster() {
        guard !removalNoticed.exchange(true, ordering: .relaxed) else { return }
        logger.warning("the member has been permanently removed from the cluster; stopping")
        DispatchQueue.global().async {
            self.shutdown()
            exit(0)
        }
    }

    // MARK: - Used by the services

    func propose(_ command: Command, completion: @escaping @Sendable (Result<CommandResult, EtcdError>) -> Void) {
        // etcd checks the quota where a write arrives, before proposing it.
        guard quota.admits(command, storeBytes: stateMachine.figures().storeBytes) else {
            raiseNoSpaceAlarm { completion(.failure(.noSpace)) }
            return
        }
        raftLoop.propose(command, completion: completion)
    }

    var hasLeader: Bool { raftLoop.leader != 0 }

    var leaderID: UInt64 { raftLoop.leader }

    var isLeader: Bool { raftLoop.leader == memberID }

    var isLearner: Bool { learnerFlag.load(ordering: .relaxed) }

    /// Runs `body` on `eventLoop` once a linearizable read may be served from the applied state:
    /// at once on a member that is the only voter and leads, after a ReadIndex round otherwise.
    func linearizableRead(on eventLoop: EventLoop, _ body: @escaping @Sendable (Result<Void, EtcdError>) -> Void) {
        if raftLoop.readsLocally {
            body(.success(()))
            return
        }
        raftLoop.read { result in eventLoop.execute { body(result) } }
    }

    /// A request only the leader can answer, sent to it over the peer port.
    func forwardToLeader<Request: ProtoMessage, Response: ProtoMessage>(
        _ kind: PeerRequestKind, _ request: Request, as: Response.Type,
        reply: @escaping @Sendable (Result<Response, EtcdError>) -> Void
    ) {
        let leader = leaderID
        guard leader != 0, let transport else {
            reply(.failure(.noLeader))
            return
        }
        transport.request(to: leader, kind: kind.rawValue, payload: request.protobuf(), timeout: configuration.requestTimeout)
            .whenComplete { result in
                switch result {
                case .success(let bytes):
                    reply(Result { try Response(protobuf: bytes[...]) }.mapError(EtcdError.from))
                case .failure(PeerTransportError.remote(let text)):
                    reply(.failure(PeerErrorText.decode(text)))
                case .failure(PeerTransportError.timedOut):
                    reply(.failure(.timeout))
                case .failure:
                    reply(.failure(.noLeader))
                }
            }
    }

    /// Whether the peer connection to `member` is up (this member itself counts as connected).
    func isConnected(to member: UInt64) -> Bool {
        member == memberID || transport?.isConnected(to: member) == true
    }

    /// A response header for this member; `revision` nil means the current store revision.
    func header(revision: Int64?) -> ResponseHeader {
        var header = ResponseHeader()
        header.clusterID = clusterID
        header.memberID = memberID
        header.raftTerm = stateMachine.raftTerm
        header.revision = (revision ?? 0) > 0 ? revision! : stateMachine.currentRevision
        return header
    }

    func status() -> StatusResponse {
        let figures = stateMachine.figures()
        var response = StatusResponse()
        response.header = header(revision: figures.revision)
        response.version = Self.serverVersion
        // On disk: the WAL and snapshot files; in use: the bytes the store holds in memory
        // (docs/operations.md, "Defragmentation").
        response.dbSize = MemberDiskUsage.bytes(dataDirectory: configuration.dataDirectory)
        response.dbSizeInUse = figures.storeBytes
        let raft = raftLoop.figures
        response.leader = raft.leader
        response.raftIndex = raft.commitIndex
        response.raftAppliedIndex = figures.appliedIndex
        response.raftTerm = raft.term
        response.isLearner = isLearner
        if raft.leader == 0 { response.errors = [EtcdError.noLeader.message] }
        // Each active alarm as etcd prints it (protobuf text form, trailing space included).
        response.errors += stateMachine.activeAlarms().map { alarm in
            (alarm.memberID == 0 ? "" : "memberID:\(alarm.memberID) ") + "alarm:\(alarm.alarm.name) "
        }
        return response
    }
}
