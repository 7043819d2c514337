@testable import Lease
import XCTest

/// Taking over the leases: after a restart (the log replayed into a fresh lessor) or a leader
/// change, every lease gets its full TTL plus the extension, never less than was promised.
final class LessorPromotionTests: XCTestCase {
    let retry = Duration.seconds(3)
    let electionTimeout = Duration.seconds(1)

    /// The commands a previous run applied, replayed as a restart replays its log.
    func replayedLessor() throws -> Lessor {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 1, ttl: 90)
        try lessor.grant(id: 2, ttl: 5)
        try lessor.grant(id: 3, ttl: 1)
        lessor.trackAttachments(of: [putEvent("user/1", lease: 1), putEvent("user/2", lease: 2)])
        return lessor
    }

    func testARestartGivesEveryLeaseItsFullTTLPlusTheElectionTimeout() throws {
        // Before the restart lease 1 had 10 s left; after it, it gets the whole 90 s again.
        var lessor = try replayedLessor()
        XCTAssertEqual(lessor.takeExpired(now: at(500), limit: 10, retryAfter: retry), [], "no clock runs while replaying")
        lessor.promote(now: at(1000), extend: electionTimeout)

        XCTAssertEqual(lessor.remaining(1, now: at(1000)), .seconds(91))
        XCTAssertEqual(lessor.remaining(2, now: at(1000)), .seconds(6))
        XCTAssertEqual(lessor.remaining(3, now: at(1000)), .seconds(3), "the minimum TTL applies to replayed grants too")
        XCTAssertEqual(lessor.lease(1)?.keys, keys("user/1"), "attached keys come back with the replay")

        XCTAssertEqual(lessor.takeExpired(now: at(1002.9), limit: 10, retryAfter: retry), [])
        XCTAssertEqual(lessor.takeExpired(now: at(1003), limit: 10, retryAfter: retry), [3])
        XCTAssertEqual(lessor.revoke(id: 3)?.keys, [])
        XCTAssertEqual(lessor.takeExpired(now: at(1006), limit: 10, retryAfter: retry), [2])
        XCTAssertEqual(lessor.revoke(id: 2)?.keys, keys("user/2"))
        XCTAssertEqual(lessor.renew(1, now: at(1050)), .renewed(ttl: 90), "keep-alives work after the takeover")
        XCTAssertEqual(lessor.takeExpired(now: at(1139.9), limit: 10, retryAfter: retry), [])
        XCTAssertEqual(lessor.takeExpired(now: at(1140), limit: 10, retryAfter: retry), [1])
    }

    func testATakeoverNeverShortensWhatTheLastKeepAliveGranted() throws {
        var lessor = primaryLessor()
        try lessor.grantStarted(1, ttl: 90, now: at(0))
        XCTAssertEqual(lessor.renew(1, now: at(80)), .renewed(ttl: 90))   // promised until 170
        lessor.promote(now: at(85), extend: electionTimeout)
        XCTAssertGreaterThanOrEqual(at(85) + lessor.remaining(1, now: at(85))!, at(170))
        XCTAssertEqual(lessor.remaining(1, now: at(85)), .seconds(91))
    }

    func testGrantsAppliedBeforeThePromotionGetTheirClocksFromIt() throws {
        var lessor = Lessor(minimumTTL: 2)
        try lessor.grant(id: 1, ttl: 10)
        lessor.startClocks(now: at(5))   // not the holder yet: nothing starts
        XCTAssertEqual(lessor.remaining(1, now: at(50)), .seconds(10))
        lessor.promote(now: at(60), extend: .zero)
        lessor.startClocks(now: at(61))  // the grant's pending start must not override the promotion
        XCTAssertEqual(lessor.remaining(1, now: at(60)), .seconds(10))
    }

    func testACrowdOfLeasesIsSpreadSoRevokesKeepUp() throws {
        var lessor = Lessor(minimumTTL: 2)
        let count = 2000
        for id in 1...count { try lessor.grant(id: LeaseID(id), ttl: 10) }
        lessor.promote(now: at(0), extend: .zero)

        var deadlines: [MonotonicInstant] = []
        for id in 1...count {
            let remaining = try XCTUnwrap(lessor.remaining(LeaseID(id), now: at(0)))
            XCTAssertGreaterThanOrEqual(remaining, .seconds(10), "spreading never moves an expiry earlier")
            deadlines.append(at(0) + remaining)
        }
        deadlines.sort()
        let target = ExpirySpreading.targetPerSecond
        XCTAssertEqual(deadlines[target - 1], at(10), "the first \(target) keep their deadline")
        XCTAssertGreaterThan(deadlines[target], at(10))
        // No one-second window holds more than the target (plus the window's first lease).
        var start = 0
        for end in deadlines.indices {
            while deadlines[end] - deadlines[start] >= .seconds(1) { start += 1 }
            XCTAssertLessThanOrEqual(end - start + 1, target + 1)
        }
        // Expiry then takes them in that order, a rate-limited batch per tick.
        var taken = 0
        var now = at(10)
        while taken < count {
            taken += lessor.takeExpired(now: now, limit: 500, retryAfter: .seconds(1000)).count
            now = now + .milliseconds(500)
        }
        XCTAssertLessThanOrEqual(now, at(13.5))
    }

    func testFewLeasesAreNotSpread() throws {
        var lessor = Lessor(minimumTTL: 2)
        for id: LeaseID in 1...100 { try lessor.grant(id: id, ttl: 10) }
        lessor.promote(now: at(0), extend: .seconds(1))
        for id: LeaseID in 1...100 { XCTAssertEqual(lessor.remaining(id, now: at(0)), .seconds(11)) }
    }
}
