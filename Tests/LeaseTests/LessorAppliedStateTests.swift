import EtcdWire
@testable import Lease
import XCTest

/// The applied side: what grant, revoke and writes do to the leases, with no clock involved.
final class LessorAppliedStateTests: XCTestCase {
    func testGrantRaisesShortTTLsToTheMinimumAndKeepsLongerOnes() throws {
        var lessor = Lessor(minimumTTL: 2)
        XCTAssertEqual(try lessor.grant(id: 1, ttl: 1).ttl, 2)
        XCTAssertEqual(try lessor.grant(id: 2, ttl: -5).ttl, 2)
        XCTAssertEqual(try lessor.grant(id: 3, ttl: 90).ttl, 90)
        XCTAssertEqual(try lessor.grant(id: 4, ttl: LeaseLimits.maxTTL).ttl, LeaseLimits.maxTTL)
        XCTAssertEqual(lessor.leases.count, 4)
    }

    func testGrantRefusesTooLongTTLsBeforeDuplicateIDs() throws {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 7, ttl: 10)
        XCTAssertThrows(.leaseTTLTooLarge) { try lessor.grant(id: 8, ttl: LeaseLimits.maxTTL + 1) }
        XCTAssertThrows(.leaseTTLTooLarge) { try lessor.grant(id: 7, ttl: LeaseLimits.maxTTL + 1) }
        XCTAssertThrows(.leaseExists) { try lessor.grant(id: 7, ttl: 30) }
        XCTAssertEqual(lessor.lease(7)?.ttl, 10, "a refused grant changes nothing")
        XCTAssertNil(lessor.lease(8))
    }

    func testWritesAttachMoveAndDetachKeys() throws {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 1, ttl: 10)
        try lessor.grant(id: 2, ttl: 10)
        lessor.trackAttachments(of: [putEvent("a", lease: 1), putEvent("b", lease: 1), putEvent("c", lease: 0)])
        XCTAssertEqual(lessor.lease(1)?.keys, keys("a", "b"))

        // Re-put with another lease moves the key; a re-put keeping the lease (ignore_lease) keeps it.
        lessor.trackAttachments(of: [putEvent("a", lease: 2, previousLease: 1), putEvent("b", lease: 1, previousLease: 1)])
        XCTAssertEqual(lessor.lease(1)?.keys, keys("b"))
        XCTAssertEqual(lessor.lease(2)?.keys, keys("a"))

        // A put without a lease, or a delete, detaches.
        lessor.trackAttachments(of: [putEvent("a", lease: 0, previousLease: 2), deleteEvent("b", previousLease: 1)])
        XCTAssertEqual(lessor.lease(1)?.keys, [])
        XCTAssertEqual(lessor.lease(2)?.keys, [])
    }

    func testEventsOfOneWriteAreTakenInOrder() throws {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 1, ttl: 10)
        lessor.trackAttachments(of: [putEvent("k", lease: 1), deleteEvent("k", previousLease: 1)])
        XCTAssertEqual(lessor.lease(1)?.keys, [])
        lessor.trackAttachments(of: [deleteEvent("j", previousLease: 1), putEvent("j", lease: 1)])
        XCTAssertEqual(lessor.lease(1)?.keys, keys("j"))
    }

    func testRevokeRemovesTheLeaseAndHandsBackItsKeysInByteOrder() throws {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 1, ttl: 10)
        lessor.trackAttachments(of: ["b", "a\u{1}", "a", "ab"].map { putEvent($0, lease: 1) })
        let revoked = lessor.revoke(id: 1)
        XCTAssertEqual(revoked?.sortedKeys, ["a", "a\u{1}", "ab", "b"].map(bytes))
        XCTAssertNil(lessor.lease(1))
        XCTAssertNil(lessor.revoke(id: 1), "a second revoke finds nothing")
        // Deleting the revoked lease's keys afterwards touches no other lease.
        lessor.trackAttachments(of: [deleteEvent("a", previousLease: 1)])
        XCTAssertEqual(lessor.leases.count, 0)
    }

    func testTheSameCommandsGiveTheSameLeasesWhoeverHoldsThem() throws {
        func replay(_ lessor: inout Lessor) throws {
            try lessor.grant(id: 5, ttl: 1)
            try lessor.grant(id: 6, ttl: 60)
            lessor.trackAttachments(of: [putEvent("x", lease: 5), putEvent("y", lease: 6), putEvent("x", lease: 6, previousLease: 5)])
            _ = lessor.revoke(id: 5)
        }
        var holder = primaryLessor()
        var follower = Lessor(minimumTTL: 2)
        try replay(&holder)
        holder.startClocks(now: at(1))
        try replay(&follower)
        XCTAssertEqual(holder.leases, follower.leases)
        XCTAssertEqual(follower.lease(6)?.keys, keys("x", "y"))
    }
}
