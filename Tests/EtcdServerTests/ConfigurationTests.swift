import XCTest
@testable import EtcdServer

final class ConfigurationTests: XCTestCase {
    private func configuration(_ arguments: [String], environment: [String: String] = [:]) throws -> ServerConfiguration {
        guard case .run(let configuration) = try ServerConfiguration.invocation(arguments: arguments, environment: environment) else {
            throw ConfigurationError("expected a run invocation")
        }
        return configuration
    }

    private func assertRejected(_ arguments: [String], environment: [String: String] = [:], containing text: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try configuration(arguments, environment: environment), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "\"\(error)\" does not mention \"\(text)\"", file: file, line: line)
        }
    }

    func testDefaultsAreEtcds() throws {
        let config = try configuration([])
        XCTAssertEqual(config.name, "default")
        XCTAssertEqual(config.dataDirectory, "default.etcd")
        XCTAssertEqual(config.listenClientURLs.map(\.description), ["http://localhost:2379"])
        XCTAssertEqual(config.listenClientURLs.first?.bindHost, "127.0.0.1")
        XCTAssertEqual(config.maxRequestBytes, 1_572_864)
        XCTAssertEqual(config.maxReceiveMessageBytes, 2 * 1024 * 1024)
        XCTAssertEqual(config.maxTxnOps, 128)
        XCTAssertEqual(config.initialCluster.map(\.name), ["default"])
        XCTAssertEqual(config.minimumLeaseTTLSeconds, 2)
    }

    func testFlagSyntaxes() throws {
        let config = try configuration(["-name", "a", "--data-dir=/tmp/x", "--max-txn-ops", "7",
                                        "--initial-advertise-peer-urls", "http://127.0.0.1:1",
                                        "-initial-cluster=a=http://127.0.0.1:1", "--enable-pprof"])
        XCTAssertEqual(config.name, "a")
        XCTAssertEqual(config.dataDirectory, "/tmp/x")
        XCTAssertEqual(config.maxTxnOps, 7)
        XCTAssertEqual(config.acceptedButInactive, ["enable-pprof"])
    }

    func testEnvironmentVariables() throws {
        let config = try configuration([], environment: ["ETCD_NAME": "env", "ETCD_MAX_REQUEST_BYTES": "100", "ETCD_FOO": "1"])
        XCTAssertEqual(config.name, "env")
        XCTAssertEqual(config.dataDirectory, "env.etcd")
        XCTAssertEqual(config.maxRequestBytes, 100)
        XCTAssertEqual(config.warnings, ["unrecognized environment variable ETCD_FOO=1"])
    }

    func testSameSettingTwiceIsAnError() {
        assertRejected(["--name", "a"], environment: ["ETCD_NAME": "b"], containing: "conflicting environment variable \"ETCD_NAME\"")
    }

    func testBadValuesAreRejected() {
        assertRejected(["--no-such-flag"], containing: "flag provided but not defined: -no-such-flag")
        assertRejected(["--max-txn-ops", "many"], containing: "invalid value \"many\"")
        assertRejected(["--max-txn-ops"], containing: "flag needs an argument")
        assertRejected(["stray"], containing: "'stray' is not a valid flag")
        assertRejected(["--listen-client-urls", "localhost:2379"], containing: "missing scheme")
        assertRejected(["--listen-client-urls", "http://127.0.0.1:99999"], containing: "invalid port")
        assertRejected(["--initial-cluster-state", "old"], containing: "initial-cluster-state")
        assertRejected(["--heartbeat-interval", "500"], containing: "should be at least as 5 times")
        assertRejected(["--log-level", "loud"], containing: "unknown log level")
        assertRejected(["--auto-compaction-retention", "1x"], containing: "auto-compaction-retention")
        assertRejected(["--enable-v2"], containing: "v2 API")
        assertRejected(["--name", "a", "--initial-cluster", "b=http://localhost:2380"], containing: "couldn't find local name \"a\"")
        assertRejected(["--initial-cluster", "default=http://127.0.0.1:9"], containing: "missing from --initial-advertise-peer-urls")
        assertRejected(["--initial-cluster", "default=http://localhost:2380,b=http://localhost:2380"], containing: "duplicate url")
        assertRejected(["--listen-peer-urls", "https://127.0.0.1:2380"], containing: "peer TLS is not implemented")
        assertRejected(["--listen-client-urls", "https://127.0.0.1:2379"], containing: "only http:// listeners")
    }

    func testWatchProgressNotifyInterval() throws {
        XCTAssertEqual(try configuration([]).watchProgressNotifyIntervalMs, 600_000)
        XCTAssertEqual(try configuration(["--experimental-watch-progress-notify-interval", "1.5s"]).watchProgressNotifyIntervalMs, 1500)
        XCTAssertEqual(try configuration(["--experimental-watch-progress-notify-interval", "0"]).watchProgressNotifyIntervalMs, 600_000)
        XCTAssertEqual(try configuration(["--experimental-watch-progress-notify-interval", "-1s"]).watchProgressNotifyIntervalMs, 600_000)
        let raised = try configuration(["--experimental-watch-progress-notify-interval", "10ms"])
        XCTAssertEqual(raised.watchProgressNotifyIntervalMs, 100)
        XCTAssertEqual(raised.warnings, ["adjusting watch progress notify interval to minimum period 100ms"])
        XCTAssertEqual(raised.acceptedButInactive, [])
        assertRejected(["--experimental-watch-progress-notify-interval", "soon"],
                       containing: "invalid value \"soon\" for flag -experimental-watch-progress-notify-interval: parse error")
    }

    func testGoDurations() {
        XCTAssertEqual(GoDuration.seconds("30m"), 1800)
        XCTAssertEqual(GoDuration.seconds("1h30m"), 5400)
        XCTAssertEqual(GoDuration.seconds("500ms"), 0.5)
        XCTAssertNil(GoDuration.seconds("5"))
        XCTAssertNil(GoDuration.seconds("m"))
    }

    /// IDs observed from etcd 3.4.23 for `--name n1 --initial-advertise-peer-urls http://127.0.0.1:23800`.
    func testMemberAndClusterIDsMatchEtcd() {
        let member = MemberIdentity.memberID(peerURLs: ["http://127.0.0.1:23800"], clusterToken: "etcd-cluster")
        XCTAssertEqual(member, 3_319_814_642_761_637_952)
        XCTAssertEqual(MemberIdentity.clusterID(memberIDs: [member]), 324_952_591_200_643_719)
    }

    func testSHA1KnownAnswers() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        XCTAssertEqual(hex(SHA1.digest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(SHA1.digest(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(SHA1.digest(Array(repeating: UInt8(ascii: "a"), count: 1_000))), "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }
}
