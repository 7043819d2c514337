import Glibc
import XCTest
@testable import EtcdServer

/// The pieces that replaced Foundation (log timestamps, /proc figures, URL lists, the data
/// directory) and the per-method gRPC counters.
final class ObservabilityTests: XCTestCase {
    func testLogTimestampsAreUTCInZapAndCapnslogShapes() {
        // 2006-01-02T15:04:05.123456789Z
        let time = timespec(tv_sec: 1_136_214_245, tv_nsec: 123_456_789)
        XCTAssertEqual(LineLogHandler.timestamp(time, iso: true), "2006-01-02T15:04:05.123Z")
        XCTAssertEqual(LineLogHandler.timestamp(time, iso: false), "2006-01-02 15:04:05.123456")
        let early = timespec(tv_sec: 0, tv_nsec: 7_000)
        XCTAssertEqual(LineLogHandler.timestamp(early, iso: true), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(LineLogHandler.timestamp(early, iso: false), "1970-01-01 00:00:00.000007")
    }

    func testJSONQuotingEscapesControlCharacters() {
        XCTAssertEqual(LineLogHandler.quote("a\"b\\c\nd\te\u{01}\u{1F}ï"), #""a\"b\\c\nd\te\u0001\u001fï""#)
    }

    func testProcessFiguresFromProc() throws {
        let resident = try XCTUnwrap(ProcessStats.residentMemoryBytes())
        XCTAssertGreaterThan(resident, 1 << 20)
        let before = try XCTUnwrap(ProcessStats.openFileDescriptors())
        let descriptor = open("/dev/null", O_RDONLY)
        defer { close(descriptor) }
        XCTAssertEqual(ProcessStats.openFileDescriptors(), before + 1)
    }

    func testURLListsAreTrimmedOfSpacesAndTabs() throws {
        let urls = try EndpointURL.parseList(" http://127.0.0.1:1 ,\thttp://[::1]:2\u{3000},, ", flag: "listen-client-urls")
        XCTAssertEqual(urls.map(\.description), ["http://127.0.0.1:1", "http://[::1]:2"])
        XCTAssertEqual(urls.map(\.host), ["127.0.0.1", "::1"])
        XCTAssertEqual(trimmingWhitespace(" \t "[...]), "")
        XCTAssertEqual(trimmingWhitespace("a b"[...]), "a b")
    }

    func testDataDirectoryIsCreatedWithParentsAndOwnerOnlyMode() throws {
        let root = "/tmp/swift-etcd-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer { _ = system("rm -rf '\(root)'") }
        let path = root + "/a/b"
        try prepareDirectory(path)
        try prepareDirectory(path)  // an existing directory is fine
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        let file = root + "/file"
        close(open(file, O_CREAT | O_WRONLY, 0o600))
        XCTAssertThrowsError(try prepareDirectory(file)) { XCTAssertTrue("\($0)".contains("not a directory"), "\($0)") }
        XCTAssertThrowsError(try prepareDirectory(file + "/sub")) { XCTAssertTrue("\($0)".contains("cannot create"), "\($0)") }
        XCTAssertGreaterThan(unixTimeMilliseconds(), 1_600_000_000_000)
    }

    func testGRPCCountersAppearOnceUsedWithTheirMethodsType() throws {
        let metrics = ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1)
        let router = ServiceRouter(services: [
            "etcdserverpb.KV": ["Put": { $0.finish(.ok) }, "Range": { $0.finish(.ok) }],
            "etcdserverpb.Watch": ["Watch": { _ in }],
        ], metrics: metrics, hasLeader: { true })
        XCTAssertNotNil(router)  // routes and their counters are resolved at init
        let put = metrics.grpcMethodCounters(service: "etcdserverpb.KV", method: "Put", type: "unary")
        put.started()
        put.started()
        put.handled(code: 0)
        put.handled(code: 5)
        put.handled(code: 99)
        var text = String(decoding: metrics.exposition(sampling: .zero), as: UTF8.self)
        XCTAssertTrue(text.contains(#"grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"} 2"#), text)
        XCTAssertTrue(text.contains(#"grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"} 1"#), text)
        XCTAssertTrue(text.contains(#"grpc_code="NotFound""#), text)
        XCTAssertTrue(text.contains(#"grpc_code="Code(99)""#), text)
        XCTAssertFalse(text.contains(#"grpc_method="Range""#), "a method never called has no series")
        // A second scrape adds only what happened since the first.
        put.started()
        text = String(decoding: metrics.exposition(sampling: .zero), as: UTF8.self)
        XCTAssertTrue(text.contains(#"grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"} 3"#), text)
        XCTAssertEqual(ServiceRouter.streamTypes["/etcdserverpb.Watch/Watch"], "bidi_stream")
        XCTAssertEqual(ServiceRouter.streamTypes["/etcdserverpb.Lease/LeaseKeepAlive"], "bidi_stream")
        XCTAssertEqual(ServiceRouter.streamTypes["/v3electionpb.Election/Observe"], "server_stream")
    }
}
