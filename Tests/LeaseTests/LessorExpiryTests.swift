@testable import Lease
import XCTest

/// The lease holder's side, driven by an injected clock.
final class LessorExpiryTests: XCTestCase {
    let retry = Duration.seconds(3)

    func testLeasesExpireInDeadlineOrderOnlyOnceDue() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(30, ttl: 5, now: at(0))
        try lessor.grantStarted(10, ttl: 3, now: at(0))
        try lessor.grantStarted(20, ttl: 3, now: at(0.5))
        try lessor.grantStarted(40, ttl: 60, now: at(0))

        XCTAssertEqual(lessor.takeExpired(now: at(2.999), limit: 10, retryAfter: retry), [])
        XCTAssertEqual(lessor.takeExpired(now: at(3), limit: 10, retryAfter: retry), [10], "due at exactly its deadline")
        XCTAssertEqual(lessor.takeExpired(now: at(5.2), limit: 10, retryAfter: retry), [20, 30])
        XCTAssertEqual(lessor.takeExpired(now: at(5.3), limit: 10, retryAfter: retry), [], "reported leases wait for the retry")
    }

    func testEqualDeadlinesExpireInIDOrder() throws {
        var lessor = primaryLessor()
        for id: LeaseID in [9, 3, 7, 1] { try lessor.grant(id: id, ttl: 4) }
        lessor.startClocks(now: at(1))
        XCTAssertEqual(lessor.takeExpired(now: at(5), limit: 10, retryAfter: retry), [1, 3, 7, 9])
    }

    func testTheRateLimitLeavesTheRestForTheNextTick() throws {
        var lessor = primaryLessor()
        for id: LeaseID in 1...5 { try lessor.grant(id: id, ttl: 2) }
        lessor.startClocks(now: at(0))
        XCTAssertEqual(lessor.takeExpired(now: at(2), limit: 2, retryAfter: retry), [1, 2])
        XCTAssertEqual(lessor.takeExpired(now: at(2.5), limit: 2, retryAfter: retry), [3, 4])
        XCTAssertEqual(lessor.takeExpired(now: at(3), limit: 2, retryAfter: retry), [5])
    }

    func testAnUnrevokedExpiryIsReportedAgainAfterTheRetryInterval() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(1, ttl: 2, now: at(0))
        XCTAssertEqual(lessor.takeExpired(now: at(2.5), limit: 10, retryAfter: retry), [1])
        XCTAssertEqual(lessor.takeExpired(now: at(5.4), limit: 10, retryAfter: retry), [])
        XCTAssertEqual(lessor.takeExpired(now: at(5.5), limit: 10, retryAfter: retry), [1])
        _ = lessor.revoke(id: 1)
        XCTAssertEqual(lessor.takeExpired(now: at(100), limit: 10, retryAfter: retry), [], "a revoked lease is never reported")
    }

    func testKeepAliveRestartsTheFullTTLAndPostponesExpiry() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(1, ttl: 10, now: at(0))
        XCTAssertEqual(lessor.renew(1, now: at(8)), .renewed(ttl: 10))
        XCTAssertEqual(lessor.takeExpired(now: at(17.9), limit: 10, retryAfter: retry), [])
        XCTAssertEqual(lessor.remainingSeconds(1, now: at(17.9)), 0, "truncated, as etcd reports it")
        XCTAssertEqual(lessor.remainingSeconds(1, now: at(12.5)), 5)
        XCTAssertEqual(lessor.takeExpired(now: at(18), limit: 10, retryAfter: retry), [1])
    }

    func testAnExpiredLeaseCannotBeRenewedBackToLife() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(1, ttl: 2, now: at(0))
        XCTAssertEqual(lessor.renew(1, now: at(2)), .expired, "past its deadline even before the expiry tick saw it")
        XCTAssertEqual(lessor.takeExpired(now: at(2.2), limit: 10, retryAfter: retry), [1])
        XCTAssertEqual(lessor.renew(1, now: at(2.3)), .expired, "nor after its revoke was proposed")
        _ = lessor.revoke(id: 1)
        XCTAssertEqual(lessor.renew(1, now: at(2.4)), .notFound)
        XCTAssertEqual(lessor.renew(99, now: at(2.4)), .notFound)
    }

    func testRemainingTimeOfAGrantBeforeItsClockStarts() throws {
        var lessor = primaryLessor()
        try lessor.grant(id: 1, ttl: 30)
        XCTAssertEqual(lessor.remaining(1, now: at(100)), .seconds(30))
        XCTAssertEqual(lessor.takeExpired(now: at(1000), limit: 10, retryAfter: retry), [], "no clock, no expiry")
        lessor.startClocks(now: at(100))
        XCTAssertEqual(lessor.remaining(1, now: at(110)), .seconds(20))
        XCTAssertNil(lessor.remaining(2, now: at(110)))
    }

    func testOnlyTheHolderRenewsAndExpires() throws {
        var follower = Lessor(minimumTTL: 2)
        try follower.grant(id: 1, ttl: 2)
        follower.startClocks(now: at(0))
        XCTAssertEqual(follower.renew(1, now: at(1)), .notPrimary)
        XCTAssertEqual(follower.takeExpired(now: at(1000), limit: 10, retryAfter: retry), [])
    }

    func testListsLeasesSoonestToExpireFirst() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(1, ttl: 50, now: at(0))
        try lessor.grantStarted(2, ttl: 10, now: at(0))
        try lessor.grantStarted(3, ttl: 30, now: at(0))
        XCTAssertEqual(lessor.idsByExpiry(), [2, 3, 1])
        XCTAssertEqual(lessor.renew(3, now: at(25)), .renewed(ttl: 30))
        XCTAssertEqual(lessor.idsByExpiry(), [2, 1, 3], "lease 2 is past due at 25 s but listed until revoked")
    }
}
