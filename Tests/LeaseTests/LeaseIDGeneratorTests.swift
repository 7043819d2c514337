@testable import Lease
import XCTest

final class LeaseIDGeneratorTests: XCTestCase {
    func testIDsArePositiveDistinctAndCarryTheMember() {
        var generator = LeaseIDGenerator(memberID: 0x8e9e_05c5_2164_694d, unixMilliseconds: 1_700_000_000_000)
        var seen = Set<LeaseID>()
        for _ in 0..<10_000 {
            let id = generator.next()
            XCTAssertGreaterThan(id, 0)
            XCTAssertEqual(id >> 48, 0x694d)
            XCTAssertTrue(seen.insert(id).inserted)
        }
    }

    func testTheTopBitOfTheMemberIsDroppedToStayPositive() {
        var generator = LeaseIDGenerator(memberID: 0xffff, unixMilliseconds: 0)
        XCTAssertEqual(generator.next(), 0x7fff_0000_0000_0001)
    }

    func testDifferentStartsGiveDifferentIDs() {
        var first = LeaseIDGenerator(memberID: 1, unixMilliseconds: 1000)
        var second = LeaseIDGenerator(memberID: 1, unixMilliseconds: 1001)
        XCTAssertNotEqual(first.next(), second.next())
    }
}
