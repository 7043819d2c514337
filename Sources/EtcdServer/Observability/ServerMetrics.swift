import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The Prometheus metrics served on `/metrics`, under the names and labels etcd uses so that
/// existing dashboards and alerts keep working.
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    let hasLeader: Gauge
    let isLeader: Gauge
    let leaderChanges: Counter
    let proposalsCommitted: Gauge
    let proposalsApplied: Gauge
    let proposalsPending: Gauge
    let proposalsFailed: Counter
    let keysTotal: Gauge
    let dbTotalSize: Gauge
    let dbTotalSizeInUse: Gauge
    let residentMemory: Gauge
    let openFileDescriptors: Gauge

    /// Per-method gRPC counters, made once per label set.
    private let grpcCounters = NIOLockedValueBox([String: Counter]())

    init(serverVersion: String, clusterVersion: String, memberID: UInt64) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        hasLeader = gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.")
        isLeader = gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.")
        leaderChanges = counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.")
        proposalsCommitted = gauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.")
        proposalsApplied = gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.")
        proposalsPending = gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.")
        proposalsFailed = counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.")
        keysTotal = gauge("etcd_debugging_mvcc_keys_total", "Total number of keys.")
        dbTotalSize = gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.")
        dbTotalSizeInUse = gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.")
        residentMemory = gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        openFileDescriptors = gauge("os_fd_used", "The number of used operating system file descriptors.")
        gauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version.",
              [("server_version", serverVersion)]).set(to: 1)
        gauge("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with current cluster version",
              [("cluster_version", clusterVersion)]).set(to: 1)
        gauge("etcd_server_id", "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
              [("server_id", String(memberID, radix: 16))]).set(to: 1)
    }

    /// Counts an RPC as started (`grpc_server_started_total`).
    func grpcStarted(service: String, method: String, type: String) {
        grpcCounter("grpc_server_started_total", "Total number of RPCs started on the server.",
                    [("grpc_method", method), ("grpc_service", service), ("grpc_type", type)]).increment()
    }

    /// Counts an RPC as completed with a status code name (`grpc_server_handled_total`).
    func grpcHandled(service: String, method: String, type: String, code: String) {
        grpcCounter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.",
                    [("grpc_code", code), ("grpc_method", method), ("grpc_service", service), ("grpc_type", type)]).increment()
    }

    private func grpcCounter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        let key = name + labels.map { "|\($0.1)" }.joined()
        return grpcCounters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels)
            counters[key] = counter
            return counter
        }
    }

    /// The exposition text, with process figures sampled at scrape time.
    func exposition() -> [UInt8] {
        if let resident = ProcessStats.residentMemoryBytes() { residentMemory.set(Double(resident)) }
        if let descriptors = ProcessStats.openFileDescriptors() { openFileDescriptors.set(Double(descriptors)) }
        return registry.emitToBuffer()
    }
}

/// Figures about this process read from /proc.
enum ProcessStats {
    static func residentMemoryBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openFileDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
    }
}
