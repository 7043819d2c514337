import GRPCTransport

/// The plain HTTP/1.1 side of the client port: `/health`, `/version`, `/metrics`.
final class HTTPEndpoints: HTTP1Handler, @unchecked Sendable {
    // Holds only the server, which is itself safe to share.
    private let server: EtcdServer

    init(server: EtcdServer) {
        self.server = server
    }

    func handle(_ request: HTTP1Request, respond: @escaping (HTTP1Response) -> Void) {
        switch request.path {
        case "/health":
            guard request.method == "GET" else { return respond(Self.methodNotAllowed) }
            // As etcd 3.4: healthy when a leader is known and a linearizable read goes through
            // (no alarm can be raised yet).
            guard server.hasLeader else { return respond(Self.unhealthy) }
            server.raftLoop.read { result in
                respond(result.isSuccess ? Self.json(200, "{\"health\":\"true\"}") : Self.unhealthy)
            }
        case "/version":
            guard request.method == "GET" else { return respond(Self.methodNotAllowed) }
            respond(Self.json(200, "{\"etcdserver\":\"\(EtcdServer.serverVersion)\",\"etcdcluster\":\"\(EtcdServer.clusterVersion)\"}"))
        case "/metrics":
            guard request.method == "GET" else { return respond(Self.methodNotAllowed) }
            respond(HTTP1Response(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                  body: server.metrics.exposition()))
        case let path where path.hasPrefix("/v3/") || path.hasPrefix("/v3beta/"):
            respond(Self.json(501, "{\"error\":\"the gRPC gateway is not implemented yet\",\"message\":\"the gRPC gateway is not implemented yet\",\"code\":12}"))
        default:
            respond(Self.text(404, "404 page not found\n"))
        }
    }

    private static let methodNotAllowed = text(405, "Method Not Allowed\n")
    /// etcd writes it with Go's http.Error: plain text, a newline after the JSON.
    private static let unhealthy = text(503, "{\"health\":\"false\"}\n")

    private static func json(_ status: Int, _ body: String) -> HTTP1Response {
        HTTP1Response(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    private static func text(_ status: Int, _ body: String) -> HTTP1Response {
        HTTP1Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8))
    }
}

private extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
