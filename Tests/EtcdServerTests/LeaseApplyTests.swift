@testable import EtcdServer
import EtcdWire
import Lease
import MVCC
import XCTest

/// Lease commands through the state machine's apply path, and the lease holder's keep-alive
/// answer for a lease that expired.
final class LeaseApplyTests: XCTestCase, StateMachineCommands {
    private func stateMachine(minimumTTL: Int64 = 2) -> KVStateMachine {
        let leases = LeaseKeeper(minimumTTL: minimumTTL, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        return KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [])),
                              metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
    }

    private func keys(_ strings: String...) -> Set<[UInt8]> { Set(strings.map { Array($0.utf8) }) }

    private func liveKeys(_ machine: KVStateMachine) throws -> [String] {
        var request = RangeRequest()
        request.key = [0]
        request.rangeEnd = [0]
        return try machine.range(request).kvs.map { String(decoding: $0.key, as: UTF8.self) }
    }

    func testRevokeDeletesEveryAttachedKeyInOneRevision() throws {
        let machine = stateMachine()
        let results = machine.apply([grant(7, ttl: 1), put("b", lease: 7), put("a", lease: 7), put("c"), revoke(7)])
        guard case .success(.leaseGrant(let granted)) = results[0], case .success(.leaseRevoke(let revoked)) = results[4] else {
            return XCTFail("results \(results)")
        }
        XCTAssertEqual(granted.id, 7)
        XCTAssertEqual(granted.ttl, 2, "raised to the minimum")
        XCTAssertEqual(granted.header?.revision, 1, "a grant writes no key")
        XCTAssertEqual(revoked.header?.revision, 5)
        XCTAssertEqual(try liveKeys(machine), ["c"])
        let deletes = try machine.withStore { store in
            try store.events(in: KeyRange(key: [0], rangeEnd: [0]), from: 5, through: 5, withPrevKV: false).events
        }
        XCTAssertEqual(deletes.map(\.type), [.delete, .delete])
        XCTAssertEqual(deletes.map { String(decoding: $0.kv!.key, as: UTF8.self) }, ["a", "b"], "in key order")
        XCTAssertNil(machine.leases.lease(7))
    }

    func testLeaseErrorsComeFromApplying() throws {
        let machine = stateMachine()
        let results = machine.apply([
            put("k", lease: 9), grant(9, ttl: 10), grant(9, ttl: 10), grant(9, ttl: LeaseLimits.maxTTL + 1), revoke(8), put("k", lease: 9),
        ])
        XCTAssertEqual(results.map(failure), [.leaseNotFound, nil, .leaseExists, .leaseTTLTooLarge, .leaseNotFound, nil])
        XCTAssertEqual(machine.leases.lease(9)?.keys, keys("k"))
    }

    func testWritesMoveKeysBetweenLeases() throws {
        let machine = stateMachine()
        var txn = TxnRequest()
        if case .put(let request) = put("j", lease: 1) { txn.success = [RequestOp(.put(request))] }
        var delete = DeleteRangeRequest()
        delete.key = Array("k".utf8)
        let results = machine.apply([grant(1, ttl: 10), grant(2, ttl: 10), put("k", lease: 1), put("k", lease: 2), .txn(txn)])
        XCTAssertEqual(results.map(failure), [nil, nil, nil, nil, nil])
        XCTAssertEqual(machine.leases.lease(1)?.keys, keys("j"))
        XCTAssertEqual(machine.leases.lease(2)?.keys, keys("k"))
        _ = machine.apply([.deleteRange(delete)])
        XCTAssertEqual(machine.leases.lease(2)?.keys, [])
    }

    /// Without a write-ahead log a restart starts empty; with one, it replays the applied
    /// commands. Replaying rebuilds the same leases and attached keys, and taking them over
    /// gives each its full TTL plus the extension, whatever they had left before.
    func testReplayingTheCommandsRebuildsTheLeasesAndPromotionRestartsTheirClocks() throws {
        let log = [grant(1, ttl: 30), grant(2, ttl: 5), put("a", lease: 1), put("b", lease: 2), put("a", lease: 2), revoke(2), put("c", lease: 1)]
        let before = stateMachine()
        before.leases.promote(extend: .zero)
        _ = before.apply(log)
        before.leases.startClocks()

        let restarted = stateMachine()
        _ = restarted.apply(log)
        XCTAssertEqual(restarted.leases.lease(1), before.leases.lease(1))
        XCTAssertEqual(restarted.leases.lease(1)?.keys, keys("c"))
        XCTAssertNil(restarted.leases.lease(2))
        XCTAssertEqual(try liveKeys(restarted), try liveKeys(before))

        restarted.leases.promote(extend: .seconds(1))
        let (remaining, lease) = try XCTUnwrap(restarted.leases.timeToLive(1))
        XCTAssertEqual(lease.ttl, 30)
        XCTAssertEqual(remaining, 30, "31 s less the moments this test took, truncated")
    }

    /// A keep-alive that finds its lease past its deadline is answered only once the revoke
    /// that the expiry proposes has been applied.
    func testAKeepAliveForAnExpiredLeaseWaitsForItsRevoke() throws {
        let machine = stateMachine(minimumTTL: 0)
        machine.leases.promote(extend: .zero)
        _ = machine.apply([grant(5, ttl: 0), put("k", lease: 5)])
        machine.leases.startClocks()   // due at once

        let waiter = RevokeWaiter()
        XCTAssertEqual(machine.leases.renew(5, waiter: waiter), .expired)
        XCTAssertEqual(machine.leases.takeExpired(limit: 10, retryAfter: .seconds(3)), [5])
        XCTAssertEqual(waiter.revoked, [])
        _ = machine.apply([revoke(5)])
        XCTAssertEqual(waiter.revoked, [5])
        XCTAssertEqual(try liveKeys(machine), [])
        XCTAssertEqual(machine.leases.renew(5, waiter: waiter), .notFound)
    }

    private func failure(_ result: Result<CommandResult, EtcdError>) -> EtcdError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

private final class RevokeWaiter: LeaseRevokeWaiter, @unchecked Sendable {
    var revoked: [LeaseID] = []
    func leaseRevoked(_ id: LeaseID) { revoked.append(id) }
}

private extension KVStateMachine {
    /// These tests look at what commands do, not at log positions.
    func apply(_ commands: [Command]) -> [Result<CommandResult, EtcdError>] {
        apply(commands, appliedIndex: 0)
    }
}
