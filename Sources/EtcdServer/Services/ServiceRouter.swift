import EtcdWire
import GRPCTransport

/// Routes each gRPC call by its `:path` to a service method, and answers unknown services and
/// methods as grpc-go does (Unimplemented), so clients see the same errors as from etcd.
///
/// Everything per method is resolved once, at init: a call costs one dictionary lookup by its
/// path and two counter increments (started, handled), with no label strings built per call.
final class ServiceRouter: GRPCCallHandler, @unchecked Sendable {
    // Immutable after init; read from every event loop. (Each route synchronizes its counters.)
    private let routes: [String: MethodRoute]
    private let services: Set<String>
    private let hasLeader: () -> Bool
    private let isLearner: () -> Bool
    private let leaderlessMonitor: LeaderlessStreamMonitor?

    /// The streaming methods among those served, by full path, with their grpc_type label as
    /// go-grpc-prometheus names it (`client_stream`, `server_stream`, `bidi_stream`); every
    /// other method is `unary`. From the service definitions in Protos/.
    static let streamTypes: [String: String] = [
        "/etcdserverpb.Watch/Watch": "bidi_stream",
        "/etcdserverpb.Lease/LeaseKeepAlive": "bidi_stream",
        "/etcdserverpb.Maintenance/Snapshot": "server_stream",
        "/v3electionpb.Election/Observe": "server_stream",
        "/grpc.health.v1.Health/Watch": "server_stream",
    ]

    /// What a learner answers, as in etcd: its status, and Range (only serializable ones,
    /// which the KV service checks).
    static let learnerPaths: Set<String> = ["/etcdserverpb.Maintenance/Status", "/etcdserverpb.KV/Range"]

    /// `services` maps a full service name (e.g. `etcdserverpb.KV`) to its methods by name.
    /// `hasLeader` tells whether the member knows a leader, for calls that require one; streams
    /// that require one are handed to `leaderlessMonitor`.
    /// A learner serves only what `learnerPaths` lists (etcd's rule); `isLearner` tells.
    init(services: [String: [String: MethodHandler]], metrics: ServerMetrics, hasLeader: @escaping () -> Bool,
         isLearner: @escaping () -> Bool = { false }, leaderlessMonitor: LeaderlessStreamMonitor? = nil) {
        var routes: [String: MethodRoute] = [:]
        for (service, table) in services {
            for (method, handler) in table {
                let path = "/\(service)/\(method)"
                routes[path] = MethodRoute(
                    handler: handler, isStreaming: Self.streamTypes[path] != nil, servesLearners: Self.learnerPaths.contains(path),
                    counters: metrics.grpcMethodCounters(service: service, method: method, type: Self.streamTypes[path] ?? "unary"))
            }
        }
        self.routes = routes
        self.services = Set(services.keys)
        self.hasLeader = hasLeader
        self.isLearner = isLearner
        self.leaderlessMonitor = leaderlessMonitor
    }

    func handle(_ call: GRPCServerCall) {
        guard let route = routes[call.path] else {
            call.finish(Self.unknownMethodStatus(path: call.path, services: services))
            return
        }
        route.counters.started()
        let counters = route.counters
        call.onFinish = { status in counters.handled(code: status.code) }
        if !route.servesLearners, isLearner() {
            call.finish(GRPCStatus(EtcdError.notSupportedForLearner))
            return
        }
        // clientv3's WithRequireLeader (etcdctl watch uses it) asks for this in metadata.
        if call.metadataValue("hasleader") == "true" {
            guard hasLeader() else {
                call.finish(GRPCStatus(EtcdError.noLeader))
                return
            }
            if route.isStreaming, let monitor = leaderlessMonitor {
                monitor.watch(call)
                call.onFinish = { [unowned call] status in
                    monitor.forget(call)
                    counters.handled(code: status.code)
                }
            }
        }
        route.handler(call)
    }

    private static func unknownMethodStatus(path: String, services: Set<String>) -> GRPCStatus {
        guard let (service, method) = split(path) else {
            return GRPCStatus(code: GRPCStatusCode.unimplemented.rawValue, message: "malformed method name: \"\(path)\"")
        }
        let message = services.contains(service)
            ? "unknown method \(method) for service \(service)"
            : "unknown service \(service)"
        return GRPCStatus(code: GRPCStatusCode.unimplemented.rawValue, message: message)
    }

    private static func split(_ path: String) -> (service: String, method: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return (String(parts[1]), String(parts[2]))
    }
}

/// One served method: its handler and its metrics.
private struct MethodRoute {
    let handler: MethodHandler
    let isStreaming: Bool
    let servesLearners: Bool
    let counters: GRPCMethodCounters
}
