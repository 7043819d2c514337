@testable import EtcdServer
import EtcdWire
import Lease
import Raft
import WAL
import XCTest

/// The applied state streamed from the store (`KVStateMachine.withAppliedStateEncoding`), as the
/// periodic Raft snapshot saves it: the same bytes as `AppliedStateSnapshot.encoded()`, and a
/// snapshot file that restores the same state.
final class AppliedStateEncodingTests: XCTestCase, StateMachineCommands {
    func testStreamedEncodingIsTheEncodedSnapshot() {
        for alarmed in [false, true] {
            let machine = stateMachine()
            // Values enough for the store to come in several chunks.
            let value = String(repeating: "v", count: 10_000)
            _ = machine.apply([grant(7, ttl: 30)] + (0..<300).map { put("k\($0)", value: value, lease: $0 % 2 == 0 ? 7 : 0) },
                              appliedIndex: 301)
            if alarmed { _ = machine.apply([raiseNoSpace()], appliedIndex: 302) }
            let expected = AppliedStateSnapshot(membership: machine.members.snapshot, store: machine.snapshotSections(),
                                                alarms: machine.activeAlarms()).encoded()

            var chunks: [[UInt8]] = []
            let count = machine.withAppliedStateEncoding { encoding in
                encoding.write { chunks.append($0) }
                return encoding.count
            }
            XCTAssertGreaterThan(chunks.count, 4, "the store in chunks, not whole")
            XCTAssertLessThanOrEqual(chunks.map(\.count).max() ?? 0, AppliedStateEncoding.storeChunkSize + 20_000)
            XCTAssertEqual(count, expected.count)
            XCTAssertEqual(chunks.flatMap { $0 }, expected, alarmed ? "with an alarm" : "without alarms")
        }
    }

    func testStreamedSnapshotFileIsTheSavedOneAndRestoresTheSameState() throws {
        let machine = stateMachine()
        _ = machine.apply([grant(7, ttl: 30), put("a", lease: 7), put("b"), put("a", value: "a2", lease: 7), raiseNoSpace()],
                          appliedIndex: 5)
        let metadata = SnapshotMetadata(index: 5, term: 2, confState: ConfState(voters: [0x11]))
        let name = "/data/member/snap/0000000000000002-0000000000000005.snap"

        let streamed = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: "/data", fileSystem: streamed)
        try machine.withAppliedStateEncoding { encoding in
            try snapshotter.save(metadata: metadata, dataCount: encoding.count) { sink in try encoding.write(to: sink) }
        }
        let whole = MemoryFileSystem()
        let state = AppliedStateSnapshot(membership: machine.members.snapshot, store: machine.snapshotSections(),
                                         alarms: machine.activeAlarms())
        try Snapshotter(dataDirectory: "/data", fileSystem: whole).save(Snapshot(metadata: metadata, data: state.encoded()))
        XCTAssertEqual(try streamed.readFile(atPath: name), try whole.readFile(atPath: name))

        let loaded = try XCTUnwrap(try snapshotter.loadNewest().snapshot)
        XCTAssertEqual(loaded.metadata, metadata)
        let decoded = try AppliedStateSnapshot(decoding: loaded.data)
        XCTAssertEqual(decoded, state)
        let restored = stateMachine()
        let sections = try XCTUnwrap(decoded.store)
        try restored.restore(store: sections.store, leases: sections.leases, appliedIndex: loaded.metadata.index)
        restored.restoreAlarms(decoded.alarms)
        XCTAssertEqual(try everything(restored), try everything(machine))
        XCTAssertEqual(try everything(restored), ["a=a2@4 lease 7", "b=v@3 lease 0"])
        XCTAssertEqual(restored.leases.lease(7)?.keys, [Array("a".utf8)])
        XCTAssertEqual(restored.activeAlarms(), machine.activeAlarms())
    }

    // MARK: Helpers

    private func stateMachine() -> KVStateMachine {
        var member = Member()
        member.id = 0x11
        member.name = "m0"
        member.peerURLs = ["http://127.0.0.1:2380"]
        let leases = LeaseKeeper(minimumTTL: 2, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        return KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [member], removed: [0x33])),
                              metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
    }

    private func raiseNoSpace() -> Command {
        var request = AlarmRequest()
        request.action = .activate
        request.memberID = 0x11
        request.alarm = .noSpace
        return .alarm(request)
    }

    /// Every key as "key=value@mod lease <id>".
    private func everything(_ machine: KVStateMachine) throws -> [String] {
        var request = RangeRequest()
        request.key = [0]
        request.rangeEnd = [0]
        return try machine.range(request).kvs.map { kv in
            "\(String(decoding: kv.key, as: UTF8.self))=\(String(decoding: kv.value, as: UTF8.self))@\(kv.modRevision) lease \(kv.lease)"
        }
    }
}
