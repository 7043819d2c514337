@testable import EtcdServer
import EtcdWire
import Lease
import MVCC
import XCTest

/// The backup file `etcdctl snapshot save` downloads from swift-etcd: its layout, the checks a
/// restore makes, and the figures `snapshot status` prints.
final class BackupFileTests: XCTestCase, StateMachineCommands {
    func testAFileDecodesToTheSnapshotsItWasMadeOf() throws {
        let state = sampleState()
        let file = saved(state)
        XCTAssertEqual(file.count % 512, 32, "etcdctl recognizes the sha256 trailer by size mod 512")

        let contents = try BackupFile.decode(file)
        XCTAssertEqual(contents.store, state.store)
        XCTAssertEqual(contents.leases, state.leases)
        XCTAssertEqual(contents.hash, state.hash)
        XCTAssertEqual(contents.bodyBytes, file.count - 32)
    }

    func testTheBodyIsPaddedToTheNextMultipleOf512() {
        for valueBytes in [0, 1, 100, 400, 511, 512, 2000] {
            let machine = stateMachine()
            _ = machine.apply([put("k", value: String(repeating: "v", count: valueBytes))], appliedIndex: 1)
            let state = machine.capture()
            let content = 32 + state.store.count + state.leases.count
            let body = BackupFile.body(store: state.store, leases: state.leases)
            XCTAssertEqual(body.count % 512, 0)
            XCTAssertTrue(body.count >= content && body.count - content < 512, "\(content) bytes in a body of \(body.count)")
        }
    }

    func testTheStateHashIsCRC32COfBothSnapshotsWithoutTheirChecksums() {
        XCTAssertEqual(StateHash.of(store: Array("1234....".utf8), leases: Array("56789????".utf8)), 0xE306_9283,
                       "the CRC-32C check value of 123456789")
    }

    /// A CRC over bytes that end with their own CRC is a constant: the hash must not be one.
    func testEveryChangeOfStateChangesTheHash() {
        let machine = stateMachine()
        var hashes: Set<UInt32> = [machine.capture().hash]
        let changes = [put("a"), put("a", value: "w"), grant(9, ttl: 60), put("b", lease: 9), delete("a"), put("a")]
        for (index, change) in changes.enumerated() {
            _ = machine.apply([change], appliedIndex: UInt64(index + 1))
            XCTAssertTrue(hashes.insert(machine.capture().hash).inserted, "after change \(index): \(change)")
        }
    }

    func testSummaryGivesEtcdctlsFigures() throws {
        let machine = stateMachine()
        _ = machine.apply([grant(7, ttl: 60), put("a", lease: 7), put("b"), put("b"), delete("a")], appliedIndex: 5)
        let state = machine.capture()
        let summary = try BackupSummary(try BackupFile.decode(saved(state)))
        XCTAssertEqual(summary.revision, 5)
        XCTAssertEqual(summary.hash, state.hash)
        // Four stored key revisions (a, b, b, a's tombstone) and one lease.
        XCTAssertEqual(summary.totalKeys, 5)
        XCTAssertEqual(summary.totalSize, saved(state).count - 32)
    }

    func testADamagedFileIsRefused() {
        var file = saved(sampleState())
        file[40] ^= 1
        assertRefused(file, containing: "sha256 mismatch")
        assertRefused(Array(saved(sampleState()).dropLast()), containing: "sha256 mismatch")
        assertRefused(saved(sampleState()) + [0], containing: "sha256 mismatch")
    }

    func testFilesThatAreNotOursAreNamed() {
        var bolt = [UInt8](repeating: 0, count: 4096)
        bolt[16..<20] = [0xED, 0xDA, 0x0C, 0xED]
        assertRefused(bolt, containing: "etcd (bolt) database")
        assertRefused(Array("hello".utf8), containing: "not a snapshot saved from swift-etcd")
        assertRefused(Array("sebk".utf8), containing: "too short")
    }

    /// Damage that a valid sha256 still covers (bytes built by hand, or a writer bug).
    func testALayoutThatDoesNotAddUpIsRefused() {
        let state = sampleState()
        let good = BackupFile.body(store: state.store, leases: state.leases)

        var version = good
        version[4] = 2
        assertRefused(sealed(version), containing: "format version 2")

        var lengths = good
        lengths[8..<16] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0][...]
        assertRefused(sealed(lengths), containing: "the header claims")

        var padding = good
        padding[padding.count - 1] = 1
        assertRefused(sealed(padding), containing: "zero padding")
        assertRefused(sealed(good + [UInt8](repeating: 0, count: 512)), containing: "zero padding")
        assertRefused(sealed(Array(good.dropLast())), containing: "zero padding")

        var hash = good
        hash[24] ^= 1
        assertRefused(sealed(hash), containing: "state hash")
    }

    func testSummaryChecksTheSnapshotsThemselves() throws {
        let state = sampleState()
        var store = state.store
        store[store.count - 1] ^= 1  // the store snapshot's own checksum
        let contents = try BackupFile.decode(sealed(BackupFile.body(store: store, leases: state.leases)))
        XCTAssertThrowsError(try BackupSummary(contents)) { error in
            XCTAssertTrue("\(error)".contains("mvcc snapshot"), "\(error)")
        }
        // A key carrying a lease the lessor snapshot does not hold.
        let noLeases = try BackupFile.decode(sealed(BackupFile.body(store: state.store, leases: stateMachine().capture().leases)))
        XCTAssertThrowsError(try BackupSummary(noLeases))
    }

    // MARK: Helpers

    private func sampleState() -> StateCapture {
        let machine = stateMachine()
        _ = machine.apply([grant(7, ttl: 60), put("a", lease: 7), put("b", value: String(repeating: "v", count: 700)), put("c")],
                          appliedIndex: 4)
        return machine.capture()
    }

    private func saved(_ state: StateCapture) -> [UInt8] {
        sealed(BackupFile.body(store: state.store, leases: state.leases))
    }

    /// A body with its sha256 trailer, as etcdctl stores the stream.
    private func sealed(_ body: [UInt8]) -> [UInt8] {
        body + SHA256.digest(body)
    }

    private func assertRefused(_ file: [UInt8], containing message: String, line: UInt = #line) {
        XCTAssertThrowsError(try BackupFile.decode(file), line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(error)", line: line)
        }
    }

    private func stateMachine() -> KVStateMachine {
        let leases = LeaseKeeper(minimumTTL: 2, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        return KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [])),
                              metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
    }
}
