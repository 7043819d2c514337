import GRPCTransport
import Logging

/// One named check of `/livez` or `/readyz`: reports nil when it passes, or why not.
struct ProbeCheck: Sendable {
    let name: String
    let run: @Sendable (_ done: @escaping @Sendable (String?) -> Void) -> Void
}

/// `/livez` or `/readyz` as etcd 3.5 serves them (Kubernetes-style probes). The root runs every
/// check except those named in `?exclude=` (unknown names are only logged); `<root>/<check>`
/// runs that one check. Passing: 200 `ok`, preceded by a `[+]<check> ok` line per check
/// under `?verbose`. Failing: 503 with a line per check, `[-]<check> failed: <why>` for the
/// failures.
struct ProbeEndpoint: Sendable {
    let root: String
    let checks: [ProbeCheck]
    let logger: Logger

    /// Liveness: this member's process can still read its own store.
    static func livez(_ health: HealthChecks, logger: Logger) -> ProbeEndpoint {
        ProbeEndpoint(root: "/livez", checks: [.serializableRead(health)], logger: logger)
    }

    /// Readiness: no corruption alarm, reads work locally and through the cluster, and the
    /// member is a voter (a learner serves almost nothing).
    static func readyz(_ health: HealthChecks, logger: Logger) -> ProbeEndpoint {
        ProbeEndpoint(root: "/readyz", checks: [
            ProbeCheck(name: "data_corruption") { done in
                done(health.activeAlarms().contains(.corrupt) ? "alarm activated: CORRUPT" : nil)
            },
            .serializableRead(health),
            ProbeCheck(name: "linearizable_read") { done in
                health.linearizableRead { error in done(error?.message) }
            },
            ProbeCheck(name: "non_learner") { done in
                done(health.isLearner ? "not supported for learner" : nil)
            },
        ], logger: logger)
    }

    /// The checks `path` asks for, or nil when the path is not this endpoint's.
    func checks(for path: String, query: HTTPQuery) -> [ProbeCheck]? {
        if path == root {
            var excluded = Set(query.nonEmptyValues("exclude"))
            let selected = checks.filter { excluded.remove($0.name) == nil }
            if !excluded.isEmpty {
                logger.warning("some health checks cannot be excluded", metadata: [
                    "missing-health-checks": "\(excluded.sorted().map { "\"\($0)\"" }.joined(separator: ","))",
                ])
            }
            return selected
        }
        return checks.first { path == root + "/" + $0.name }.map { [$0] }
    }

    /// Runs `selected` one after the other and answers with all their outcomes.
    func run(_ selected: [ProbeCheck], path: String, verbose: Bool, respond: @escaping (HTTP1Response) -> Void) {
        Self.runInOrder(selected[...], report: "", failed: false) { report, failed in
            if failed {
                logger.error("Health check error", metadata: ["path": "\(path)", "reason": "\(report)", "status-code": "503"])
                respond(HTTPReplies.goError(503, report))
            } else {
                logger.debug("Health check OK", metadata: ["path": "\(path)", "status-code": "200"])
                respond(HTTPReplies.plainText(200, (verbose ? report : "") + "ok\n"))
            }
        }
    }

    private static func runInOrder(_ checks: ArraySlice<ProbeCheck>, report: String, failed: Bool,
                                   done: @escaping @Sendable (String, Bool) -> Void) {
        guard let check = checks.first else { return done(report, failed) }
        check.run { why in
            let line = why.map { "[-]\(check.name) failed: \($0)\n" } ?? "[+]\(check.name) ok\n"
            runInOrder(checks.dropFirst(), report: report + line, failed: failed || why != nil, done: done)
        }
    }
}

extension ProbeCheck {
    static func serializableRead(_ health: HealthChecks) -> ProbeCheck {
        ProbeCheck(name: "serializable_read") { done in done(health.serializableRead()?.message) }
    }
}
