@testable import EtcdServer
import EtcdWire
import Foundation
import Lease
import MVCC
import XCTest

/// `swift-etcd snapshot restore` and `snapshot status` on backup files.
final class SnapshotCommandTests: XCTestCase {
    private var directory = ""
    private var backup = ""
    private var state: StateCapture!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-command-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let leases = LeaseKeeper(minimumTTL: 2, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        let machine = KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [])),
                                     metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
        var grant = LeaseGrantRequest()
        grant.id = 0x77
        grant.ttl = 300
        var put = PutRequest()
        put.key = Array("k".utf8)
        put.value = Array("v".utf8)
        put.lease = 0x77
        _ = machine.apply([.leaseGrant(grant), .put(put), .put(put)], appliedIndex: 3)
        state = machine.capture()
        let body = BackupFile.body(store: state.store, leases: state.leases)
        backup = directory + "/backup.db"
        try Data(body + SHA256.digest(body)).write(to: URL(fileURLWithPath: backup))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: status

    func testStatusPrintsWhatEtcdctlPrints() throws {
        let hash = String(state.hash, radix: 16)
        let size = try XCTUnwrap(FileManager.default.contents(atPath: backup)).count - 32
        XCTAssertEqual(try status([backup]), "\(hash), 3, 3, \(SnapshotStatusCommand.siBytes(UInt64(size)))")
        XCTAssertEqual(try status([backup, "-w", "json"]), "{\"hash\":\(state.hash),\"revision\":3,\"totalKey\":3,\"totalSize\":\(size)}")
        XCTAssertEqual(try status(["--write-out=json", backup]), try status([backup, "-w", "json"]))
    }

    func testStatusTableIsEtcdctls() throws {
        var summary = try BackupSummary(BackupFile.decode(Array(try XCTUnwrap(FileManager.default.contents(atPath: backup)))))
        summary.hash = 0x31F7_8CE8
        summary.totalKeys = 6
        summary.totalSize = 20480
        // etcdctl 3.4.23's output for an etcd snapshot with these figures.
        XCTAssertEqual(SnapshotStatusCommand.render(summary, as: .table), """
            +----------+----------+------------+------------+
            |   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |
            +----------+----------+------------+------------+
            | 31f78ce8 |        3 |          6 |      20 kB |
            +----------+----------+------------+------------+
            """)
    }

    func testSizesAsGoHumanizePrintsThem() {
        let cases: [(UInt64, String)] = [
            (0, "0 B"), (9, "9 B"), (10, "10 B"), (999, "999 B"), (1000, "1.0 kB"), (1049, "1.0 kB"), (1050, "1.1 kB"),
            (9949, "9.9 kB"), (9950, "10 kB"), (20480, "20 kB"), (12500, "12 kB"), (13500, "14 kB"), (999_999, "1000 kB"),
            (82_854_982, "83 MB"), (2_100_000, "2.1 MB"), (5_000_000_000, "5.0 GB"),
        ]
        for (bytes, text) in cases {
            XCTAssertEqual(SnapshotStatusCommand.siBytes(bytes), text, "\(bytes) bytes")
        }
    }

    func testStatusRefusesADamagedFile() throws {
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: backup))
        bytes[100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: backup))
        XCTAssertThrowsError(try status([backup])) { XCTAssertTrue("\($0)".contains("sha256 mismatch"), "\($0)") }
        XCTAssertThrowsError(try status([backup, "-w", "yaml"])) { XCTAssertTrue("\($0)".contains("yaml"), "\($0)") }
    }

    // MARK: restore

    func testRestoredMembersStartFromTheBackupWithTheNewMembership() throws {
        let cluster = "a=http://127.0.0.1:2380,b=http://127.0.0.1:12380,c=http://127.0.0.1:22380"
        var snapshotFiles: [[UInt8]] = []
        var identities: [LogIdentity] = []
        for (name, url) in [("a", "http://127.0.0.1:2380"), ("b", "http://127.0.0.1:12380"), ("c", "http://127.0.0.1:22380")] {
            let dataDirectory = directory + "/\(name).etcd"
            _ = try SnapshotRestore(arguments: [backup, "--data-dir", dataDirectory, "--name", name, "--initial-cluster", cluster,
                                                "--initial-cluster-token", "restored", "--initial-advertise-peer-urls=\(url)"]).run()

            let log = try MemberLog.open(dataDirectory: dataDirectory, maxSnapshots: 5, maxWALs: 5) {
                XCTFail("the restored directory already has a log")
                throw CommandError("no log")
            }
            XCTAssertEqual(log.snapshotIndex, 1)
            let restored = try XCTUnwrap(log.snapshotState)
            XCTAssertEqual(restored.store?.store, state.store)
            XCTAssertEqual(restored.store?.leases, state.leases)
            XCTAssertEqual(Set(restored.membership.members.values.map(\.name)), ["a", "b", "c"])
            XCTAssertEqual(restored.membership.members[log.identity.memberID]?.name, name)
            identities.append(log.identity)
            let snap = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/member/snap")
            XCTAssertEqual(snap, ["0000000000000001-0000000000000001.snap"])
            snapshotFiles.append(Array(try XCTUnwrap(FileManager.default.contents(atPath: dataDirectory + "/member/snap/" + snap[0]))))
        }
        // Every member starts from the same snapshot, in one new cluster with IDs from the flags.
        XCTAssertEqual(Set(snapshotFiles).count, 1)
        XCTAssertEqual(Set(identities.map(\.clusterID)).count, 1)
        XCTAssertEqual(Set(identities.map(\.memberID)).count, 3)
        XCTAssertEqual(identities[0].memberID,
                       MemberIdentity.memberID(peerURLs: ["http://127.0.0.1:2380"], clusterToken: "restored"))
    }

    func testRestoreRefusesAnExistingDataDirectory() throws {
        let dataDirectory = directory + "/taken.etcd"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SnapshotRestore(arguments: [backup, "--data-dir", dataDirectory]).run()) {
            XCTAssertEqual("\($0)", "data-dir \"\(dataDirectory)\" exists")
        }
    }

    func testRestoreChecksTheFileBeforeCreatingAnything() throws {
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: backup))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: backup))
        let dataDirectory = directory + "/new.etcd"
        XCTAssertThrowsError(try SnapshotRestore(arguments: [backup, "--data-dir", dataDirectory]).run()) {
            XCTAssertTrue("\($0)".contains("sha256 mismatch"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataDirectory))
    }

    func testRestoreFlagsAreCheckedAsTheServerChecksThem() {
        assertBadArguments([backup, "--name", "x", "--initial-cluster", "y=http://127.0.0.1:2380"], containing: "couldn't find local name \"x\"")
        assertBadArguments([backup, "--listen-client-urls", "http://127.0.0.1:2379"], containing: "unknown flag")
        assertBadArguments([backup, "--wal-dir", "/tmp/w"], containing: "--wal-dir is not supported")
        assertBadArguments([backup, "--skip-hash-check"], containing: "always checks")
        assertBadArguments([], containing: "exactly one snapshot file")
        assertBadArguments([backup, backup], containing: "exactly one snapshot file")
        assertBadArguments([backup, "--name"], containing: "flag needs an argument")
    }

    // MARK: Helpers

    private func status(_ arguments: [String]) throws -> String {
        try SnapshotStatusCommand(arguments: arguments).run()
    }

    private func assertBadArguments(_ arguments: [String], containing message: String, line: UInt = #line) {
        XCTAssertThrowsError(try SnapshotRestore(arguments: arguments), line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(error)", line: line)
        }
    }
}
