import Dispatch
import Glibc
import Logging
import XCTest
@testable import EtcdServer

/// /metrics, /livez, /readyz as etcd serves them, and the pieces of a clean stop, without a
/// running member (the Go suites check the same against live servers).
final class OperationsEndpointsTests: XCTestCase {
    private let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    func testQueryIsDecodedAsGoDoes() {
        let query = HTTPQuery("verbose&exclude=NOSPACE&exclude=&exclude=a%20b+c&bad=%zz&&x=1=2")
        XCTAssertTrue(query.contains("verbose"))
        XCTAssertTrue(query.contains("x"))
        XCTAssertFalse(query.contains("bad"), "a malformed escape drops the pair")
        XCTAssertEqual(query.nonEmptyValues("exclude"), ["NOSPACE", "a b c"])
        XCTAssertEqual(query.nonEmptyValues("x"), ["1=2"])
        XCTAssertFalse(HTTPQuery(nil).contains("verbose"))
    }

    func testProbeRootRunsEveryCheckButTheExcludedOnes() {
        let probe = ProbeEndpoint(root: "/readyz", checks: [check("a", nil), check("b", "broken"), check("c", nil)], logger: quiet)
        XCTAssertEqual(probe.checks(for: "/readyz", query: HTTPQuery(nil))?.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(probe.checks(for: "/readyz", query: HTTPQuery("exclude=b&exclude=nope"))?.map(\.name), ["a", "c"])
        XCTAssertEqual(probe.checks(for: "/readyz/b", query: HTTPQuery("exclude=b"))?.map(\.name), ["b"], "a sub-path ignores exclude")
        XCTAssertNil(probe.checks(for: "/readyz/zz", query: HTTPQuery(nil)))
        XCTAssertNil(probe.checks(for: "/readyz/", query: HTTPQuery(nil)))
        XCTAssertNil(probe.checks(for: "/readyzz", query: HTTPQuery(nil)))
    }

    func testProbeAnswersOkOrListsEveryOutcome() throws {
        let probe = ProbeEndpoint(root: "/livez", checks: [check("a", nil), check("b", "broken")], logger: quiet)
        let passing = try answer(probe, probe.checks[..<1], verbose: false)
        XCTAssertEqual(passing.status, 200)
        XCTAssertEqual(passing.body, "ok\n")
        XCTAssertTrue(passing.headers.contains { $0 == ("X-Content-Type-Options", "nosniff") })
        let verbose = try answer(probe, probe.checks[..<1], verbose: true)
        XCTAssertEqual(verbose.body, "[+]a ok\nok\n")
        let failing = try answer(probe, probe.checks[...], verbose: false)
        XCTAssertEqual(failing.status, 503)
        XCTAssertEqual(failing.body, "[+]a ok\n[-]b failed: broken\n\n", "http.Error adds a newline")
    }

    func testMetricsHaveEtcdsNamesSampledGaugesAndHistogramBuckets() {
        let metrics = ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 0x1234)
        metrics.walFsyncDuration.record(0.003)
        metrics.backendCommitDuration.record(9.0)
        var figures = ScrapeFigures.zero
        figures.commitIndex = 7
        figures.appliedIndex = 6
        figures.quotaBackendBytes = 2_147_483_648
        figures.dbSize = 20480
        let text = String(decoding: metrics.exposition(sampling: figures), as: UTF8.self)
        for (name, value) in [("etcd_server_proposals_committed_total", 7.0), ("etcd_server_proposals_applied_total", 6),
                              ("etcd_server_quota_backend_bytes", 2_147_483_648), ("etcd_mvcc_db_total_size_in_bytes", 20480),
                              ("etcd_server_is_learner", 0), ("etcd_disk_wal_fsync_duration_seconds_count", 1),
                              ("etcd_disk_backend_commit_duration_seconds_bucket{le=\"8.192\"}", 0),
                              ("etcd_disk_backend_commit_duration_seconds_bucket{le=\"+Inf\"}", 1),
                              ("etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"}", 0),
                              ("etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.004\"}", 1),
                              ("etcd_server_version{server_version=\"3.4.23\"}", 1), ("etcd_server_id{server_id=\"1234\"}", 1)] {
            XCTAssertEqual(sample(name, in: text), value, name)
        }
        XCTAssertTrue(text.contains("# TYPE etcd_disk_wal_fsync_duration_seconds histogram\n"), text)
        XCTAssertTrue(text.contains("# TYPE etcd_server_proposals_committed_total gauge\n"), "etcd's committed and applied are gauges")
        XCTAssertEqual(ServerMetrics.diskBuckets.first, 0.001)
        XCTAssertEqual(ServerMetrics.diskBuckets.count, 14)
        XCTAssertEqual(ServerMetrics.diskBuckets.last, 8.192)
        XCTAssertGreaterThan(sample("process_resident_memory_bytes", in: text) ?? 0, 0)
        XCTAssertGreaterThan(sample("os_fd_limit", in: text) ?? 0, 0)
    }

    func testRunOnceRunsTheFirstCallerAndMakesLaterOnesWait() {
        /// Changed only inside `run`, under RunOnce's lock.
        final class Runs: @unchecked Sendable { var count = 0 }
        let once = RunOnce()
        let runs = Runs()
        let first = expectation(description: "first run finished")
        DispatchQueue.global().async {
            once.run {
                usleep(200_000)
                runs.count += 1
            }
            first.fulfill()
        }
        usleep(50_000)
        once.run { runs.count += 1 }
        XCTAssertEqual(runs.count, 1, "the second caller returned only after the first run, without running")
        wait(for: [first], timeout: 5)
    }

    private func check(_ name: String, _ failure: String?) -> ProbeCheck {
        ProbeCheck(name: name) { done in done(failure) }
    }

    private func answer(_ probe: ProbeEndpoint, _ checks: ArraySlice<ProbeCheck>, verbose: Bool) throws
        -> (status: Int, body: String, headers: [(String, String)]) {
        var answer: (status: Int, body: String, headers: [(String, String)])?
        probe.run(Array(checks), path: probe.root, verbose: verbose) { response in
            answer = (response.status, String(decoding: response.body, as: UTF8.self), response.headers)
        }
        return try XCTUnwrap(answer, "the checks answer at once, so the probe does")
    }

    /// The value of the sample line `name value`.
    private func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}

extension ScrapeFigures {
    static let zero = ScrapeFigures(commitIndex: 0, appliedIndex: 0, dbSize: 0, dbSizeInUse: 0, quotaBackendBytes: 0, isLearner: false)
}
