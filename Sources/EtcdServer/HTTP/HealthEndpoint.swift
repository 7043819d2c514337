import GRPCTransport
import Logging
import NIOCore

/// `GET /health` as etcd 3.4 answers it: `{"health":"true"}`, or 503 `{"health":"false"}` when
/// an alarm is active (unless named in `?exclude=`), no leader is known, or a read through
/// the cluster does not complete within a second.
struct HealthEndpoint: Sendable {
    let checks: HealthChecks
    let metrics: ServerMetrics
    let logger: Logger

    /// etcd 3.4 gives its internal read (a v2 QGET through Raft) one second.
    static let readTimeout = TimeAmount.seconds(1)

    func handle(_ query: HTTPQuery, respond: @escaping (HTTP1Response) -> Void) {
        let excluded = Set(query.nonEmptyValues("exclude"))
        if let alarm = checks.activeAlarms().first(where: { !excluded.contains($0.name) }) {
            return respond(unhealthy("/health error due to an alarm", ["alarm": "\(alarm.name)"]))
        }
        guard checks.hasLeader else {
            return respond(unhealthy("/health error; no leader", [:]))
        }
        checks.linearizableRead(timeout: Self.readTimeout) { error in
            if let error {
                respond(unhealthy("/health error; read through the cluster failed", ["error": "\(error.message)"]))
            } else {
                metrics.healthSuccess.increment()
                respond(HTTPReplies.sniffedText(200, "{\"health\":\"true\"}"))
            }
        }
    }

    private func unhealthy(_ why: String, _ details: Logger.Metadata) -> HTTP1Response {
        metrics.healthFailures.increment()
        logger.warning("\(why)", metadata: details.merging(["status-code": "503"]) { $1 })
        return HTTPReplies.goError(503, "{\"health\":\"false\"}")
    }
}
