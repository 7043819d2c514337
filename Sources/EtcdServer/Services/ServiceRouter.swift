import EtcdWire
import GRPCTransport

/// Routes each gRPC call by its `:path` to a service method, and answers unknown services and
/// methods as grpc-go does (Unimplemented), so clients see the same errors as from etcd.
final class ServiceRouter: GRPCCallHandler, @unchecked Sendable {
    // Immutable after init; read from every event loop.
    private let methods: [String: MethodHandler]
    private let services: Set<String>
    private let metrics: ServerMetrics

    /// `services` maps a full service name (e.g. `etcdserverpb.KV`) to its methods by name.
    init(services: [String: [String: MethodHandler]], metrics: ServerMetrics) {
        var methods: [String: MethodHandler] = [:]
        for (service, table) in services {
            for (method, handler) in table { methods["/\(service)/\(method)"] = handler }
        }
        self.methods = methods
        self.services = Set(services.keys)
        self.metrics = metrics
    }

    func handle(_ call: GRPCServerCall) {
        guard let (service, method) = Self.split(call.path) else {
            call.finish(GRPCStatus(code: GRPCStatusCode.unimplemented.rawValue, message: "malformed method name: \"\(call.path)\""))
            return
        }
        guard let handler = methods[call.path] else {
            let message = services.contains(service)
                ? "unknown method \(method) for service \(service)"
                : "unknown service \(service)"
            call.finish(GRPCStatus(code: GRPCStatusCode.unimplemented.rawValue, message: message))
            return
        }
        metrics.grpcStarted(service: service, method: method, type: "unary")
        let metrics = self.metrics
        call.onFinish = { status in
            metrics.grpcHandled(service: service, method: method, type: "unary", code: GRPCStatusCode(rawValue: status.code)?.name ?? "Code(\(status.code))")
        }
        handler(call)
    }

    private static func split(_ path: String) -> (service: String, method: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return (String(parts[1]), String(parts[2]))
    }
}
