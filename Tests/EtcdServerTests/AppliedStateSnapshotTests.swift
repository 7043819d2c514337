@testable import EtcdServer
import EtcdWire
import Lease
import MVCC
import XCTest

/// The data of a Raft snapshot (`AppliedStateSnapshot`) and the state machine restored from it:
/// a member restored from its leader's snapshot must serve and apply exactly as the leader does.
final class AppliedStateSnapshotTests: XCTestCase, StateMachineCommands {
    // MARK: The data format

    func testRoundTripKeepsMembersRemovedStoreAndLeases() throws {
        let machine = stateMachine()
        _ = machine.apply([grant(7, ttl: 30), put("a", lease: 7), put("b"), put("a", lease: 7)], appliedIndex: 4)
        let sections = machine.snapshotSections()
        let snapshot = AppliedStateSnapshot(membership: membership(), store: sections)

        let decoded = try AppliedStateSnapshot(decoding: snapshot.encoded())
        XCTAssertEqual(decoded, snapshot)
        XCTAssertEqual(decoded.membership.members.count, 2)
        XCTAssertEqual(decoded.membership.members[0x22]?.isLearner, true)
        XCTAssertEqual(decoded.membership.members[0x11]?.clientURLs, ["http://127.0.0.1:2379"])
        XCTAssertEqual(decoded.membership.removed, [0x33, 0x44])
        XCTAssertEqual(decoded.store?.store, sections.store)
        XCTAssertEqual(decoded.store?.leases, sections.leases)
        // The sections are the modules' own snapshots, still readable as such.
        let store = try MVCCStore(restoringFrom: try XCTUnwrap(decoded.store?.store))
        XCTAssertEqual(store.currentRevision, 4)
        let lessor = try Lessor(restoringFrom: try XCTUnwrap(decoded.store?.leases), minimumTTL: 1, leasedKeys: store.leasedKeys())
        XCTAssertEqual(lessor.lease(7)?.keys, [Array("a".utf8)])
        XCTAssertEqual(lessor.lease(7)?.ttl, 30)
    }

    func testAlarmsSurviveTheSnapshotAndRefuseTheSameWrites() throws {
        let machine = stateMachine()
        var raise = AlarmRequest()
        raise.action = .activate
        raise.memberID = 0x11
        raise.alarm = .noSpace
        _ = machine.apply([.alarm(raise), put("x")], appliedIndex: 2)
        XCTAssertEqual(machine.activeAlarms().map(\.alarm), [.noSpace])

        let snapshot = AppliedStateSnapshot(membership: membership(), store: machine.snapshotSections(), alarms: machine.activeAlarms())
        let decoded = try AppliedStateSnapshot(decoding: snapshot.encoded())
        XCTAssertEqual(decoded.alarms, machine.activeAlarms())
        XCTAssertTrue(try AppliedStateSnapshot(decoding: AppliedStateSnapshot(membership: membership()).encoded()).alarms.isEmpty)

        let restored = stateMachine()
        let sections = try XCTUnwrap(decoded.store)
        try restored.restore(store: sections.store, leases: sections.leases, appliedIndex: 2)
        restored.restoreAlarms(decoded.alarms)
        XCTAssertEqual(restored.activeAlarms(), machine.activeAlarms())
        let original = machine.apply([put("y")], appliedIndex: 3)
        let replica = restored.apply([put("y")], appliedIndex: 3)
        XCTAssertEqual("\(original)", "\(replica)")
        guard case .failure(let error)? = replica.first else { return XCTFail("a put under NOSPACE must fail, got \(replica)") }
        XCTAssertEqual(error, .noSpace)
    }

    func testANewClustersSnapshotHasNoStoreSections() throws {
        let snapshot = AppliedStateSnapshot(membership: membership())
        let decoded = try AppliedStateSnapshot(decoding: snapshot.encoded())
        XCTAssertEqual(decoded, snapshot)
        XCTAssertNil(decoded.store)
    }

    func testTheSameStateEncodesToTheSameBytes() {
        let machine = stateMachine()
        _ = machine.apply([grant(1, ttl: 10), grant(2, ttl: 20), put("k", lease: 2)], appliedIndex: 3)
        let first = AppliedStateSnapshot(membership: membership(), store: machine.snapshotSections()).encoded()
        let second = AppliedStateSnapshot(membership: membership(), store: machine.snapshotSections()).encoded()
        XCTAssertEqual(first, second)
    }

    func testAStoreSectionWithoutLeasesIsRefused() {
        let machine = stateMachine()
        _ = machine.apply([put("a")], appliedIndex: 1)
        let sections = machine.snapshotSections()
        let (store, leases) = (sections.store, sections.leases)
        let members = AppliedStateSnapshot(membership: membership()).encoded()  // magic, version, members, removed

        assertRefused(members + section(3, store), containing: "store section without a lease section")
        assertRefused(members + section(4, leases), containing: "store section without a lease section")
        // Both, in either order, are accepted.
        XCTAssertNotNil(try? AppliedStateSnapshot(decoding: members + section(4, leases) + section(3, store)))
    }

    func testDamagedDataIsRefused() {
        let good = AppliedStateSnapshot(membership: membership(), store: stateMachine().snapshotSections()).encoded()
        assertRefused(Array(good.prefix(3)), containing: "magic")
        assertRefused(Array("SEAS".utf8) + [2], containing: "version 2")
        assertRefused(Array(good.dropLast()), containing: "claims")
        assertRefused(good + [9], containing: "inside a section header")
        assertRefused(good + section(9, []), containing: "unknown section 9")
        assertRefused(Array("SEAS".utf8) + [1] + section(3, []) + section(4, []), containing: "no members section")
        assertRefused(Array(good.prefix(5)) + section(1, []) + section(2, [1, 2, 3]), containing: "multiple of 8")
    }

    // MARK: Restoring a state machine

    /// A history with every kind of command, then a compaction.
    private var history: [Command] {
        var txn = TxnRequest()
        if case .put(let request) = put("t/1", lease: 8) { txn.success.append(RequestOp(.put(request))) }
        if case .put(let request) = put("t/2") { txn.success.append(RequestOp(.put(request))) }
        return [
            put("a"), put("b"), put("c"),
            grant(7, ttl: 40), grant(8, ttl: 25), grant(9, ttl: 10),
            put("l/1", lease: 7), put("l/2", lease: 7), put("l/3", lease: 9),
            .txn(txn),
            put("b", value: "b2"), delete("c"), put("l/2", lease: 8),
            revoke(9),
            compact(6),
            put("a", value: "a2"),
        ]
    }

    func testARestoredStateMachineServesTheSameState() throws {
        let original = stateMachine()
        _ = original.apply(history, appliedIndex: 120)
        let sections = original.snapshotSections()

        let restored = stateMachine()
        _ = restored.apply([put("stale"), grant(99, ttl: 5)], appliedIndex: 2)  // replaced by the snapshot
        try restored.restore(store: sections.store, leases: sections.leases, appliedIndex: 120)

        XCTAssertEqual(restored.currentRevision, original.currentRevision)
        XCTAssertEqual(restored.figures().appliedIndex, 120)
        XCTAssertEqual(try everything(restored), try everything(original))
        XCTAssertFalse(try everything(restored).contains { $0.hasPrefix("stale=") })
        XCTAssertEqual(try everything(restored).count, 6)
        // History after the compaction reads the same; before it, both refuse.
        for revision in Int64(6)...original.currentRevision {
            XCTAssertEqual(try everything(restored, at: revision), try everything(original, at: revision), "at revision \(revision)")
        }
        XCTAssertThrowsError(try everything(restored, at: 5)) { XCTAssertEqual($0 as? EtcdError, .compacted) }
        XCTAssertThrowsError(try everything(original, at: 5)) { XCTAssertEqual($0 as? EtcdError, .compacted) }

        // Leases: the same IDs, TTLs and attached keys; the revoked one and the stale one are gone.
        for id: LeaseID in [7, 8] {
            XCTAssertEqual(restored.leases.lease(id)?.keys, original.leases.lease(id)?.keys, "lease \(id)")
            let restoredTTL = try XCTUnwrap(restored.leases.timeToLive(id))
            let originalTTL = try XCTUnwrap(original.leases.timeToLive(id))
            XCTAssertEqual(restoredTTL.lease.ttl, originalTTL.lease.ttl)
            XCTAssertEqual(restoredTTL.remainingSeconds, originalTTL.remainingSeconds)
        }
        XCTAssertEqual(restored.leases.lease(7)?.keys, [Array("l/1".utf8)])
        XCTAssertEqual(restored.leases.lease(8)?.keys, [Array("t/1".utf8), Array("l/2".utf8)])
        XCTAssertEqual(restored.leases.timeToLive(7)?.lease.ttl, 40)
        XCTAssertNil(restored.leases.lease(9))
        XCTAssertNil(restored.leases.lease(99))
        XCTAssertFalse(restored.leases.exists(99))
    }

    func testARestoredStateMachineAppliesFurtherCommandsIdentically() throws {
        let original = stateMachine()
        _ = original.apply(history, appliedIndex: 120)
        let sections = original.snapshotSections()
        let restored = stateMachine()
        try restored.restore(store: sections.store, leases: sections.leases, appliedIndex: 120)

        var conditional = TxnRequest()
        var compare = Compare()
        compare.key = Array("b".utf8)
        compare.target = .value
        compare.result = .equal
        compare.targetUnion = .value(Array("b2".utf8))
        conditional.compare = [compare]
        if case .put(let request) = put("b", value: "b3", lease: 8) { conditional.success = [RequestOp(.put(request))] }
        let more: [Command] = [
            put("n/1", lease: 8), revoke(7), .txn(conditional), delete("a", end: "c"),
            grant(7, ttl: 12), put("l/9", lease: 7), grant(8, ttl: 5), compact(5), compact(14),
        ]
        let fromOriginal = original.apply(more, appliedIndex: 130)
        let fromRestored = restored.apply(more, appliedIndex: 130)
        XCTAssertEqual("\(fromRestored)", "\(fromOriginal)")
        XCTAssertEqual(fromRestored.map(failure), [nil, nil, nil, nil, nil, nil, .leaseExists, .compacted, nil])
        XCTAssertEqual(restored.currentRevision, original.currentRevision)
        XCTAssertEqual(try everything(restored), try everything(original))
        XCTAssertEqual(restored.leases.lease(7)?.keys, [Array("l/9".utf8)])
        XCTAssertEqual(restored.leases.lease(8)?.keys, original.leases.lease(8)?.keys)
        XCTAssertEqual(restored.leases.idsByExpiry().sorted(), original.leases.idsByExpiry().sorted())
        let changes = { (machine: KVStateMachine) in
            try machine.withStore { store in
                try store.events(in: KeyRange(key: [0], rangeEnd: [0]), from: 14, through: store.currentRevision, withPrevKV: true)
                    .events.map { "\($0)" }
            }
        }
        XCTAssertEqual(try changes(restored), try changes(original))
    }

    func testALeasedKeyWithoutItsLeaseInTheSnapshotIsRefused() throws {
        let machine = stateMachine()
        _ = machine.apply([grant(5, ttl: 10), put("k", lease: 5)], appliedIndex: 2)
        let store = machine.snapshotSections().store
        let noLeases = stateMachine().snapshotSections().leases

        let restored = stateMachine()
        _ = restored.apply([put("before")], appliedIndex: 1)
        XCTAssertThrowsError(try restored.restore(store: store, leases: noLeases, appliedIndex: 2))
        XCTAssertEqual(try everything(restored), ["before=v@2"], "a refused snapshot changes nothing")
        XCTAssertEqual(restored.figures().appliedIndex, 1)
    }

    // MARK: Helpers

    private func stateMachine() -> KVStateMachine {
        let leases = LeaseKeeper(minimumTTL: 2, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        return KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [])),
                              metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
    }

    private func membership() -> MembershipState {
        var voter = Member()
        voter.id = 0x11
        voter.name = "m0"
        voter.peerURLs = ["http://127.0.0.1:2380"]
        voter.clientURLs = ["http://127.0.0.1:2379"]
        var learner = Member()
        learner.id = 0x22
        learner.peerURLs = ["http://127.0.0.1:2480"]
        learner.isLearner = true
        return MembershipState(members: [voter, learner], removed: [0x33, 0x44])
    }

    private func compact(_ revision: Int64) -> Command {
        var request = CompactionRequest()
        request.revision = revision
        return .compact(request)
    }

    /// Every key as "key=value@mod c<create> v<version> l<lease>", at `revision` (0: current).
    private func everything(_ machine: KVStateMachine, at revision: Int64 = 0) throws -> [String] {
        var request = RangeRequest()
        request.key = [0]
        request.rangeEnd = [0]
        request.revision = revision
        return try machine.range(request).kvs.map { kv in
            var line = "\(String(decoding: kv.key, as: UTF8.self))=\(String(decoding: kv.value, as: UTF8.self))@\(kv.modRevision)"
            if kv.createRevision != kv.modRevision || kv.version != 1 || kv.lease != 0 {
                line += " c\(kv.createRevision) v\(kv.version) l\(kv.lease)"
            }
            return line
        }
    }

    private func section(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        [tag] + (0..<8).map { UInt8(truncatingIfNeeded: UInt64(body.count) >> (56 - 8 * UInt64($0))) } + body
    }

    private func assertRefused(_ bytes: [UInt8], containing message: String, line: UInt = #line) {
        XCTAssertThrowsError(try AppliedStateSnapshot(decoding: bytes), line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(error) does not mention \(message)", line: line)
        }
    }

    private func failure(_ result: Result<CommandResult, EtcdError>) -> EtcdError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

extension KVStateMachine {
    /// The store and the leases as snapshot sections, at the applied index (see `capture`).
    func snapshotSections() -> StoreSections {
        let state = capture()
        return StoreSections(store: state.store, leases: state.leases)
    }
}
