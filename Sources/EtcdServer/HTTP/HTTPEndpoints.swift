import GRPCTransport

/// The plain HTTP/1.1 side of the client port, routed as etcd's HTTP mux routes it: `/health`
/// (etcd 3.4), `/livez` and `/readyz` (etcd 3.5), `/version`, `/metrics`.
final class HTTPEndpoints: HTTP1Handler, Sendable {
    private let server: EtcdServer
    private let health: HealthEndpoint
    private let probes: [ProbeEndpoint]

    init(server: EtcdServer) {
        self.server = server
        let checks = HealthChecks(server: server)
        health = HealthEndpoint(checks: checks, metrics: server.metrics, logger: server.logger)
        probes = [.livez(checks, logger: server.logger), .readyz(checks, logger: server.logger)]
    }

    func handle(_ request: HTTP1Request, respond: @escaping (HTTP1Response) -> Void) {
        let query = HTTPQuery(request.query)
        // As Go's mux: an unknown path is 404 whatever the method; a known one takes only GET.
        switch request.path {
        case "/health":
            guard request.method == "GET" else { return respond(HTTPReplies.methodNotAllowed) }
            health.handle(query, respond: respond)
        case "/version":
            guard request.method == "GET" else { return respond(HTTPReplies.methodNotAllowed) }
            respond(HTTPReplies.json(200, "{\"etcdserver\":\"\(EtcdServer.serverVersion)\",\"etcdcluster\":\"\(EtcdServer.clusterVersion)\"}"))
        case "/metrics":
            guard request.method == "GET" else { return respond(HTTPReplies.methodNotAllowed) }
            respond(HTTP1Response(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                  body: server.metrics.exposition(sampling: server.scrapeFigures)))
        case let path where path.hasPrefix("/v3/") || path.hasPrefix("/v3beta/"):
            respond(HTTPReplies.json(501, "{\"error\":\"the gRPC gateway is not implemented yet\",\"message\":\"the gRPC gateway is not implemented yet\",\"code\":12}"))
        case let path:
            for probe in probes {
                guard let checks = probe.checks(for: path, query: query) else { continue }
                guard request.method == "GET" else { return respond(HTTPReplies.methodNotAllowed) }
                return probe.run(checks, path: path, verbose: query.contains("verbose"), respond: respond)
            }
            respond(HTTPReplies.notFound)
        }
    }
}
