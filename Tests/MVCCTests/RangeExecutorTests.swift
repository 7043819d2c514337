import EtcdWire
@testable import MVCC
import XCTest

/// Range through `KVExecutor`, over four keys whose targets all order differently:
///
///     key  value  create  mod  version
///     a    "0"    2       5    2
///     b    "4"    3       8    3
///     c    "2"    4       4    1
///     d    "9"    6       6    1
final class RangeExecutorTests: XCTestCase {
    let executor = KVExecutor()
    var store: MVCCStore!

    override func setUp() {
        store = storeWith([("a", "3"), ("b", "1"), ("c", "2"), ("a", "0"), ("d", "9"), ("b", "5"), ("b", "4")])
    }

    func keys(_ response: RangeResponse) -> String {
        String(decoding: response.kvs.flatMap(\.key), as: UTF8.self)
    }

    func all() -> RangeRequest { rangeRequest("\0", end: "\0") }

    func testPlainRange() throws {
        let response = try executor.range(all(), in: store)
        XCTAssertEqual(keys(response), "abcd")
        XCTAssertEqual(response.count, 4)
        XCTAssertFalse(response.more)
        XCTAssertEqual(response.header, .revision(8))
        XCTAssertEqual(response.kvs[0], kv("a", "0", create: 2, mod: 5, version: 2))
        XCTAssertEqual(response.kvs[1], kv("b", "4", create: 3, mod: 8, version: 3))
    }

    func testLimitSetsMoreAndCountIgnoresIt() throws {
        let table: [(limit: Int64, keys: String, more: Bool)] = [
            (0, "abcd", false), (-1, "abcd", false), (1, "a", true), (3, "abc", true), (4, "abcd", false), (9, "abcd", false),
            (.max, "abcd", false),
        ]
        for row in table {
            var request = all()
            request.limit = row.limit
            let response = try executor.range(request, in: store)
            XCTAssertEqual(keys(response), row.keys, "limit \(row.limit)")
            XCTAssertEqual(response.more, row.more, "limit \(row.limit)")
            XCTAssertEqual(response.count, 4, "limit \(row.limit)")
        }
    }

    func testCountOnlyAndKeysOnly() throws {
        var request = all()
        request.countOnly = true
        request.limit = 1
        var response = try executor.range(request, in: store)
        XCTAssertEqual(response.kvs, [])
        XCTAssertEqual(response.count, 4)
        XCTAssertFalse(response.more)

        request = all()
        request.keysOnly = true
        response = try executor.range(request, in: store)
        XCTAssertEqual(keys(response), "abcd")
        XCTAssertEqual(response.kvs.map(\.value), [[], [], [], []])
        XCTAssertEqual(response.kvs[1].modRevision, 8)
    }

    func testEverySortTargetAndOrder() throws {
        let table: [(SortTarget, EtcdWire.SortOrder, String)] = [
            (.key, .none, "abcd"), (.key, .ascend, "abcd"), (.key, .descend, "dcba"),
            (.version, .none, "cdab"), (.version, .ascend, "cdab"), (.version, .descend, "bacd"),
            (.create, .none, "abcd"), (.create, .ascend, "abcd"), (.create, .descend, "dcba"),
            (.mod, .none, "cadb"), (.mod, .ascend, "cadb"), (.mod, .descend, "bdac"),
            (.value, .none, "acbd"), (.value, .ascend, "acbd"), (.value, .descend, "dbca"),
        ]
        for (target, order, expected) in table {
            var request = all()
            request.sortTarget = target
            request.sortOrder = order
            let response = try executor.range(request, in: store)
            XCTAssertEqual(keys(response), expected, "target \(target.rawValue) order \(order.rawValue)")
            XCTAssertEqual(response.count, 4)
        }
    }

    func testSortHappensBeforeTheLimit() throws {
        var request = all()
        request.sortTarget = .mod
        request.sortOrder = .descend
        request.limit = 2
        let response = try executor.range(request, in: store)
        XCTAssertEqual(keys(response), "bd")
        XCTAssertTrue(response.more)
        XCTAssertEqual(response.count, 4)
    }

    /// etcd reads everything only when sort_order is set; a non-key target with order NONE sorts
    /// just the first limit + 1 keys.
    func testImplicitAscendingSortWithLimitSortsOnlyTheFirstKeys() throws {
        var request = all()
        request.sortTarget = .mod
        request.limit = 1
        XCTAssertEqual(keys(try executor.range(request, in: store)), "a")
        request.sortOrder = .ascend
        XCTAssertEqual(keys(try executor.range(request, in: store)), "c")
    }

    func testRevisionBoundsFilterButDoNotChangeCount() throws {
        let table: [(minMod: Int64, maxMod: Int64, minCreate: Int64, maxCreate: Int64, keys: String)] = [
            (5, 0, 0, 0, "abd"), (0, 5, 0, 0, "ac"), (5, 6, 0, 0, "ad"), (8, 8, 0, 0, "b"),
            (0, 0, 3, 0, "bcd"), (0, 0, 0, 3, "ab"), (0, 0, 3, 4, "bc"),
            (5, 0, 0, 3, "ab"), (9, 0, 0, 0, ""),
        ]
        for row in table {
            var request = all()
            request.minModRevision = row.minMod
            request.maxModRevision = row.maxMod
            request.minCreateRevision = row.minCreate
            request.maxCreateRevision = row.maxCreate
            let response = try executor.range(request, in: store)
            XCTAssertEqual(keys(response), row.keys, "\(row)")
            XCTAssertEqual(response.count, 4, "\(row)")
        }
    }

    func testMoreIsComputedAfterFiltering() throws {
        var request = all()
        request.minModRevision = 5
        request.limit = 2
        var response = try executor.range(request, in: store)
        XCTAssertEqual(keys(response), "ab")
        XCTAssertTrue(response.more)
        request.limit = 3
        response = try executor.range(request, in: store)
        XCTAssertEqual(keys(response), "abd")
        XCTAssertFalse(response.more)
    }

    func testKeyRanges() throws {
        XCTAssertEqual(keys(try executor.range(rangeRequest("b"), in: store)), "b")
        XCTAssertEqual(keys(try executor.range(rangeRequest("bb"), in: store)), "")
        XCTAssertEqual(keys(try executor.range(rangeRequest("b", end: "d"), in: store)), "bc")
        XCTAssertEqual(keys(try executor.range(rangeRequest("b", end: "\0"), in: store)), "bcd")
        XCTAssertEqual(keys(try executor.range(rangeRequest("c", end: "b"), in: store)), "")
        XCTAssertEqual(try executor.range(rangeRequest("c", end: "b"), in: store).count, 0)
    }

    func testHistoricalRevisionReportsCurrentRevisionInHeader() throws {
        let response = try executor.range(rangeRequest("\0", end: "\0", revision: 4), in: store)
        XCTAssertEqual(response.kvs, [
            kv("a", "3", create: 2, mod: 2, version: 1),
            kv("b", "1", create: 3, mod: 3, version: 1),
            kv("c", "2", create: 4, mod: 4, version: 1),
        ])
        XCTAssertEqual(response.header, .revision(8))
    }

    func testRevisionErrors() throws {
        XCTAssertThrows(.futureRevision) { try executor.range(rangeRequest("a", revision: 9), in: store) }
        _ = try executor.compact(CompactionRequest.at(5), in: store)
        XCTAssertThrows(.compacted) { try executor.range(rangeRequest("a", revision: 4), in: store) }
        XCTAssertEqual(try executor.range(rangeRequest("a", revision: 5), in: store).kvs.count, 1)
        XCTAssertEqual(try executor.range(rangeRequest("a", revision: -1), in: store).kvs.count, 1)
    }

    func testCompactResponses() throws {
        XCTAssertThrows(.futureRevision) { try executor.compact(.at(9), in: store) }
        let (response, result) = try executor.compact(.at(5), in: store)
        XCTAssertEqual(response.header, .revision(8))
        XCTAssertEqual(result.removedRevisions, [rev(2)])
        XCTAssertEqual(store.compactedRevision, 5)
        XCTAssertThrows(.compacted) { try executor.compact(.at(5), in: store) }
        XCTAssertThrows(.compacted) { try executor.compact(.at(0), in: store) }
    }
}

extension CompactionRequest {
    static func at(_ revision: Int64) -> CompactionRequest {
        var request = CompactionRequest()
        request.revision = revision
        return request
    }
}
