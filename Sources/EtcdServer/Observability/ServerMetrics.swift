import NIOConcurrencyHelpers
import Prometheus

/// The Prometheus metrics served on `/metrics`, with etcd 3.4's names, help texts, labels and
/// histogram buckets, so that existing dashboards and alerts keep working.
///
/// Counters, histograms and the gauges etcd updates as things happen are updated by the code
/// that sees them happen; gauges etcd computes from current state (raft indexes, sizes, the
/// process) are sampled when /metrics is scraped (`exposition(sampling:)`).
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    let hasLeader: Gauge
    let isLeader: Gauge
    let leaderChanges: Counter
    let proposalsPending: Gauge
    let proposalsFailed: Counter
    let keysTotal: Gauge
    /// etcd times the WAL's fsync; we time the fsync that ends each persisted batch.
    let walFsyncDuration: ValueHistogram
    /// etcd times bbolt's commit; our store is written when a batch is applied and saved whole
    /// in a snapshot, so those are what this times.
    let backendCommitDuration: ValueHistogram
    /// Outcomes of `/health`, as etcd counts them.
    let healthSuccess: Counter
    let healthFailures: Counter

    private let sampled: SampledGauges
    /// Every method's gRPC counters, published into the registry at each scrape. The lock also
    /// keeps concurrent scrapes from publishing the same counts twice.
    private let grpcMethods = NIOLockedValueBox([GRPCMethodCounters]())

    /// etcd's disk histograms: 1 ms doubling 14 times (up to 8.192 s).
    static let diskBuckets = (0..<14).map { 0.001 * Double(1 << $0) }
    /// etcd's buckets for peer round trips: 0.1 ms doubling 16 times (up to 3.2768 s).
    static let roundTripBuckets = (0..<16).map { 0.0001 * Double(1 << $0) }

    init(serverVersion: String, clusterVersion: String, memberID: UInt64) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        func histogram(_ name: String, _ help: String) -> ValueHistogram {
            registry.makeValueHistogram(descriptor: .init(metricName: name, unitName: "", helpText: help),
                                        buckets: Self.diskBuckets)
        }
        hasLeader = gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.")
        isLeader = gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.")
        leaderChanges = counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.")
        proposalsPending = gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.")
        proposalsFailed = counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.")
        keysTotal = gauge("etcd_debugging_mvcc_keys_total", "Total number of keys.")
        walFsyncDuration = histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.")
        backendCommitDuration = histogram("etcd_disk_backend_commit_duration_seconds",
                                          "The latency distributions of commit called by backend.")
        healthSuccess = counter("etcd_server_health_success", "The total number of successful health checks")
        healthFailures = counter("etcd_server_health_failures", "The total number of failed health checks")
        sampled = SampledGauges(gauge)
        gauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version.",
              [("server_version", serverVersion)]).set(to: 1)
        gauge("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with current cluster version",
              [("cluster_version", clusterVersion)]).set(to: 1)
        gauge("etcd_server_id", "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
              [("server_id", String(memberID, radix: 16))]).set(to: 1)
    }

    /// `etcd_network_peer_round_trip_time_seconds{To="<member id>"}`; a series per peer, from
    /// its first measurement on (a single member has none, as in etcd).
    func peerRoundTrip(to peer: UInt64, seconds: Double) {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "etcd_network_peer_round_trip_time_seconds", unitName: "",
                              helpText: "Round-Trip-Time histogram between peers"),
            labels: [("To", String(peer, radix: 16))], buckets: Self.roundTripBuckets
        ).record(seconds)
    }

    /// The gRPC counters of one method (`grpc_server_started_total`, `grpc_server_handled_total`),
    /// with its labels fixed; resolved once per method by the router.
    func grpcMethodCounters(service: String, method: String, type: String) -> GRPCMethodCounters {
        let counters = GRPCMethodCounters(service: service, method: method, type: type)
        grpcMethods.withLockedValue { $0.append(counters) }
        return counters
    }

    /// The exposition text, with the member's figures and the process's sampled now.
    func exposition(sampling figures: ScrapeFigures) -> [UInt8] {
        sampled.update(figures)
        grpcMethods.withLockedValue { methods in
            for method in methods { method.publish(to: registry) }
        }
        return registry.emitToBuffer()
    }
}

/// The gauges etcd computes from current state rather than counting events.
private struct SampledGauges: Sendable {
    /// etcd sets these to the raft commit and applied indexes, despite the `_total` names.
    let proposalsCommitted: Gauge
    let proposalsApplied: Gauge
    let quotaBackendBytes: Gauge
    let dbTotalSize: Gauge
    let dbTotalSizeInUse: Gauge
    let isLearner: Gauge
    let residentMemory: Gauge
    let openFileDescriptors: Gauge
    let fileDescriptorLimit: Gauge

    init(_ gauge: (String, String, [(String, String)]) -> Gauge) {
        proposalsCommitted = gauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.", [])
        proposalsApplied = gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.", [])
        quotaBackendBytes = gauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.", [])
        dbTotalSize = gauge("etcd_mvcc_db_total_size_in_bytes",
                            "Total size of the underlying database physically allocated in bytes.", [])
        dbTotalSizeInUse = gauge("etcd_mvcc_db_total_size_in_use_in_bytes",
                                 "Total size of the underlying database logically in use in bytes.", [])
        isLearner = gauge("etcd_server_is_learner", "Whether or not this member is a learner. 1 if is, 0 otherwise.", [])
        residentMemory = gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [])
        openFileDescriptors = gauge("os_fd_used", "The number of used file descriptors.", [])
        fileDescriptorLimit = gauge("os_fd_limit", "The file descriptor limit.", [])
    }

    func update(_ figures: ScrapeFigures) {
        proposalsCommitted.set(to: Double(figures.commitIndex))
        proposalsApplied.set(to: Double(figures.appliedIndex))
        quotaBackendBytes.set(to: Double(figures.quotaBackendBytes))
        dbTotalSize.set(to: Double(figures.dbSize))
        dbTotalSizeInUse.set(to: Double(figures.dbSizeInUse))
        isLearner.set(to: figures.isLearner ? 1 : 0)
        if let resident = ProcessStats.residentMemoryBytes() { residentMemory.set(to: Double(resident)) }
        if let descriptors = ProcessStats.openFileDescriptors() { openFileDescriptors.set(to: Double(descriptors)) }
        if let limit = ProcessStats.fileDescriptorLimit() { fileDescriptorLimit.set(to: Double(limit)) }
    }
}
