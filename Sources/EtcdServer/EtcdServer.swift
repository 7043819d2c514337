import EtcdWire
import GRPCTransport
import Lease
import Logging
import NIOCore
import NIOPosix
import Watch

/// One swift-etcd member: the applied state, the consensus loop, the client listeners and the
/// services on them. Requests flow socket → HTTP/2 → gRPC call → service → (read the applied
/// state | propose a command → Raft log → WAL → apply → store) → response.
public final class EtcdServer: @unchecked Sendable {
    // Every stored property is immutable after init or internally synchronized, except
    // `raftLoop`, `listeners` and `leaseExpiry`, which `start()` sets before anything runs
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
    private var raftLoop: RaftLoop!
    private let group: MultiThreadedEventLoopGroup
    private var listeners: [ClientPortServer] = []
    private var leaseExpiry: LeaseExpiryTimer?

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let ownPeerURLs = configuration.initialAdvertisePeerURLs.map(\.description)
        memberID = MemberIdentity.memberID(peerURLs: ownPeerURLs, clusterToken: configuration.initialClusterToken)
        clusterID = MemberIdentity.clusterID(memberIDs: [memberID])
        metrics = ServerMetrics(serverVersion: Self.serverVersion, clusterVersion: Self.clusterVersion, memberID: memberID)
        let leases = LeaseKeeper(
            minimumTTL: configuration.minimumLeaseTTLSeconds,
            idGenerator: LeaseIDGenerator(memberID: memberID, unixMilliseconds: unixTimeMilliseconds()))
        stateMachine = KVStateMachine(maxTxnOps: configuration.maxTxnOps, leases: leases, metrics: metrics)
        watchDispatcher = WatchDispatcher(
            stateMachine: stateMachine,
            encoder: WatchResponseEncoder(clusterID: clusterID, memberID: memberID, raftTerm: stateMachine.raftTerm,
                                          fragmentBytes: configuration.maxReceiveMessageBytes),
            progressNotifyInterval: .milliseconds(Int64(configuration.watchProgressNotifyIntervalMs)))
        changeFeed = KeyChangeFeed(stateMachine: stateMachine)
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    }

    /// Opens the data directory and every client listener; returns the bound addresses.
    @discardableResult
    public func start() throws -> [SocketAddress] {
        try DataDirectory.prepare(configuration.dataDirectory)
        for flag in configuration.acceptedButInactive {
            logger.warning("flag --\(flag) is accepted but not implemented yet; it has no effect")
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }

        try startConsensus()
        // Leader from now on, this member holds the leases: each gets its full TTL plus an
        // election timeout, as etcd does on taking over, and expired ones are revoked from here.
        stateMachine.leases.promote(extend: .milliseconds(configuration.electionTimeoutMs))
        let leaseExpiry = LeaseExpiryTimer(leases: stateMachine.leases, logger: logger, propose: raftLoop.propose)
        leaseExpiry.start(on: group.next())
        self.leaseExpiry = leaseExpiry

        let router = ServiceRouter(services: [
            "etcdserverpb.KV": KVService(server: self).methods,
            "etcdserverpb.Maintenance": MaintenanceService(server: self).methods,
            "etcdserverpb.Cluster": ClusterService(server: self).methods,
            "grpc.health.v1.Health": HealthService(server: self).methods,
            "etcdserverpb.Lease": LeaseService(server: self).methods,
            "v3lockpb.Lock": LockService(server: self).methods,
            "v3electionpb.Election": ElectionService(server: self).methods,
            "etcdserverpb.Watch": WatchService(server: self).methods,
        ].merging(PendingServices.all) { current, _ in current }, metrics: metrics)
        let http = HTTPEndpoints(server: self)

        var addresses: [SocketAddress] = []
        for url in configuration.listenClientURLs {
            var portConfiguration = ClientPortConfiguration(host: url.bindHost, port: url.port)
            portConfiguration.maxReceiveMessageBytes = configuration.maxReceiveMessageBytes
            portConfiguration.maxConcurrentStreams = configuration.maxConcurrentStreams
            let listener = ClientPortServer(configuration: portConfiguration, group: group, grpc: router, http: http, logger: logger)
            addresses.append(try listener.start().wait())
            listeners.append(listener)
            logger.info("serving client traffic insecurely; this is strongly discouraged!", metadata: ["address": "\(url)"])
        }
        logger.info("ready to serve client requests",
                    metadata: ["member-id": "\(String(memberID, radix: 16))", "cluster-id": "\(String(clusterID, radix: 16))"])
        return addresses
    }

    /// GOAWAY to clients, let in-flight calls finish briefly, then stop applying.
    public func shutdown() {
        for listener in listeners { try? listener.shutdown(gracePeriod: .seconds(2)).wait() }
        leaseExpiry?.stop()
        raftLoop?.shutdown()
        try? group.syncShutdownGracefully()
        logger.info("stopped serving")
    }

    /// Opens (or bootstraps) the Raft log, replays what it committed into the store, and
    /// takes leadership of the single-member cluster.
    private func startConsensus() throws {
        let log = try MemberLog.open(dataDirectory: configuration.dataDirectory,
                                     identity: LogIdentity(memberID: memberID, clusterID: clusterID),
                                     maxSnapshots: configuration.maxSnapshots, maxWALs: configuration.maxWALs)
        for repair in log.repairs { logger.warning("\(repair)") }
        guard log.identity == LogIdentity(memberID: memberID, clusterID: clusterID) else {
            throw ConfigurationError("--data-dir \(configuration.dataDirectory) belongs to member \(String(log.identity.memberID, radix: 16)) of cluster \(String(log.identity.clusterID, radix: 16)), but the flags describe member \(String(memberID, radix: 16)) of cluster \(String(clusterID, radix: 16)); start with the flags the data dir was created with")
        }
        raftLoop = RaftLoop(log: log, electionTicks: configuration.electionTimeoutMs / configuration.heartbeatIntervalMs,
                            tickInterval: .milliseconds(Int64(configuration.heartbeatIntervalMs)),
                            stateMachine: stateMachine, changeFeed: changeFeed, logger: logger, metrics: metrics)
        try raftLoop.start()
    }

    // MARK: - Used by the services

    func propose(_ command: Command, completion: @escaping @Sendable (Result<CommandResult, EtcdError>) -> Void) {
        raftLoop.propose(command, completion: completion)
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

    var localMember: Member {
        var member = Member()
        member.id = memberID
        member.name = configuration.name
        member.peerURLs = configuration.initialAdvertisePeerURLs.map(\.description)
        member.clientURLs = configuration.advertiseClientURLs.map(\.description)
        return member
    }

    func status() -> StatusResponse {
        let figures = stateMachine.figures()
        var response = StatusResponse()
        response.header = header(revision: figures.revision)
        response.version = Self.serverVersion
        response.dbSize = figures.storeBytes
        response.dbSizeInUse = figures.storeBytes
        let raft = raftLoop.figures
        response.leader = raft.leader
        response.raftIndex = raft.commitIndex
        response.raftAppliedIndex = figures.appliedIndex
        response.raftTerm = raft.term
        if raft.leader == 0 { response.errors = [EtcdError.noLeader.message] }
        return response
    }
}

/// The member's data directory: created with etcd's permissions if missing.
enum DataDirectory {
    static func prepare(_ path: String) throws {
        try prepareDirectory(path)
    }
}
