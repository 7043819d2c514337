#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EtcdWire
import NIOConcurrencyHelpers
import Prometheus
import Synchronization

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
    /// Every method's gRPC counters, published into the registry at each scrape. The lock also
    /// keeps concurrent scrapes from publishing the same counts twice.
    private let grpcMethods = NIOLockedValueBox([GRPCMethodCounters]())


    /// etcd's buckets for peer round trips: 0.1 ms doubling 16 times (about 3.3 s).
    private static let roundTripBuckets = (0..<16).map { 0.0001 * Double(1 << $0) }

    /// `etcd_network_peer_round_trip_time_seconds{To="<member id>"}`.
    func peerRoundTrip(to peer: UInt64, seconds: Double) {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "etcd_network_peer_round_trip_time_seconds", unitName: "",
                              helpText: "Round-Trip-Time histogram between peers"),
            labels: [("To", String(peer, radix: 16))], buckets: Self.roundTripBuckets
        ).record(seconds)
    }

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

    /// The gRPC counters of one method (`grpc_server_started_total`, `grpc_server_handled_total`),
    /// with its labels fixed; resolved once per method by the router.
    func grpcMethodCounters(service: String, method: String, type: String) -> GRPCMethodCounters {
        let counters = GRPCMethodCounters(service: service, method: method, type: type)
        grpcMethods.withLockedValue { $0.append(counters) }
        return counters
    }

    /// The exposition text, with process figures sampled at scrape time.
    func exposition() -> [UInt8] {
        if let resident = ProcessStats.residentMemoryBytes() { residentMemory.set(Double(resident)) }
        if let descriptors = ProcessStats.openFileDescriptors() { openFileDescriptors.set(Double(descriptors)) }
        grpcMethods.withLockedValue { methods in
            for method in methods { method.publish(to: registry) }
        }
        return registry.emitToBuffer()
    }
}

/// The gRPC counters of one method: `grpc_server_started_total` and, per status code,
/// `grpc_server_handled_total`, with the method's labels fixed.
///
/// A call only adds to an atomic count (no lock, no label strings, no registry lookup); the
/// counts are moved into the Prometheus registry when /metrics is scraped. A series is
/// registered the first time its count is non-zero, so /metrics lists the methods and codes
/// that occurred, as before.
final class GRPCMethodCounters: Sendable {
    private let service: String
    private let method: String
    private let type: String
    private let startedCount = AtomicCount()
    /// Counts per status code 0 ... 16, indexed by code.
    private let handledCounts: [AtomicCount]
    /// Codes outside the gRPC table (not expected; labelled "Code(n)" as grpc-go prints them).
    private let otherHandledCounts = NIOLockedValueBox([Int: Int]())
    /// What the registry has seen so far; touched only while publishing.
    private let published = NIOLockedValueBox(Published())

    private struct Published {
        var started: (counter: Counter?, count: Int) = (nil, 0)
        var handled: [Int: (counter: Counter, count: Int)] = [:]
    }

    init(service: String, method: String, type: String) {
        self.service = service
        self.method = method
        self.type = type
        handledCounts = (0 ... 16).map { _ in AtomicCount() }
    }

    /// Counts an RPC as started.
    func started() {
        startedCount.increment()
    }

    /// Counts an RPC as completed with a status code.
    func handled(code: Int) {
        if handledCounts.indices.contains(code) {
            handledCounts[code].increment()
        } else {
            otherHandledCounts.withLockedValue { $0[code, default: 0] += 1 }
        }
    }

    /// Adds what was counted since the last call to the registry's counters.
    func publish(to registry: PrometheusCollectorRegistry) {
        var handled: [(code: Int, count: Int)] = []
        for (code, count) in handledCounts.enumerated() {
            let value = count.value
            if value > 0 { handled.append((code, value)) }
        }
        handled += otherHandledCounts.withLockedValue { $0.map { (code: $0.key, count: $0.value) } }
        let started = startedCount.value
        published.withLockedValue { published in
            if started > published.started.count {
                let counter = published.started.counter ?? registry.makeCounter(
                    descriptor: .init(metricName: "grpc_server_started_total", unitName: "",
                                      helpText: "Total number of RPCs started on the server."),
                    labels: [("grpc_method", method), ("grpc_service", service), ("grpc_type", type)])
                counter.increment(by: Int64(started - published.started.count))
                published.started = (counter, started)
            }
            for (code, count) in handled {
                let previous = published.handled[code]
                guard count > previous?.count ?? 0 else { continue }
                let counter = previous?.counter ?? registry.makeCounter(
                    descriptor: .init(metricName: "grpc_server_handled_total", unitName: "",
                                      helpText: "Total number of RPCs completed on the server, regardless of success or failure."),
                    labels: [("grpc_code", GRPCStatusCode(rawValue: code)?.name ?? "Code(\(code))"),
                             ("grpc_method", method), ("grpc_service", service), ("grpc_type", type)])
                counter.increment(by: Int64(count - (previous?.count ?? 0)))
                published.handled[code] = (counter, count)
            }
        }
    }
}

/// A count that any thread may increment without a lock.
final class AtomicCount: Sendable {
    private let count = Atomic<Int>(0)

    func increment() {
        count.wrappingAdd(1, ordering: .relaxed)
    }

    var value: Int {
        count.load(ordering: .relaxed)
    }
}

/// Figures about this process read from /proc.
enum ProcessStats {
    static func residentMemoryBytes() -> Int? {
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of /proc/self/fd other than "." and "..", as a directory listing counts them.
    static func openFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDotOrDotDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDotOrDotDot {
                count += 1
            }
        }
        return count
    }

    /// The contents of a small text file (a /proc file: its size is not known in advance).
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
