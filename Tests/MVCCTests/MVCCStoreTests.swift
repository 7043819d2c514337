import EtcdWire
@testable import MVCC
import XCTest

final class MVCCStoreTests: XCTestCase {
    func put(_ store: MVCCStore, _ key: String, _ value: String, lease: Int64 = 0) -> WriteResult<KeyValue?> {
        store.write { $0.put(key: bytes(key), value: bytes(value), lease: lease) }
    }

    func delete(_ store: MVCCStore, _ key: String, end: String = "") -> WriteResult<[KeyValue]> {
        store.write { $0.deleteRange(KeyRange(key: bytes(key), rangeEnd: bytes(end))) }
    }

    func get(_ store: MVCCStore, _ key: String, end: String = "", at revision: Int64 = 0) throws -> [KeyValue] {
        try store.range(KeyRange(key: bytes(key), rangeEnd: bytes(end)), options: RangeOptions(revision: revision)).kvs
    }

    func testFreshStore() throws {
        let store = MVCCStore()
        XCTAssertEqual(store.currentRevision, 1)
        XCTAssertEqual(store.compactedRevision, 0)
        XCTAssertEqual(store.keyCount, 0)
        XCTAssertEqual(try get(store, "\0", end: "\0"), [])
    }

    func testRevisionVersionAndCreateRevisionBookkeeping() throws {
        let store = MVCCStore()
        let first = put(store, "foo", "a")
        XCTAssertEqual(first.revision, 2)
        XCTAssertNil(first.value)
        XCTAssertEqual(try get(store, "foo"), [kv("foo", "a", create: 2, mod: 2, version: 1)])

        let second = put(store, "foo", "b", lease: 9)
        XCTAssertEqual(second.revision, 3)
        XCTAssertEqual(second.value, kv("foo", "a", create: 2, mod: 2, version: 1))
        XCTAssertEqual(try get(store, "foo"), [kv("foo", "b", create: 2, mod: 3, version: 2, lease: 9)])

        let deleted = delete(store, "foo")
        XCTAssertEqual(deleted.revision, 4)
        XCTAssertEqual(deleted.value, [kv("foo", "b", create: 2, mod: 3, version: 2, lease: 9)])
        XCTAssertEqual(try get(store, "foo"), [])
        XCTAssertEqual(store.keyCount, 0)

        XCTAssertEqual(put(store, "foo", "c").revision, 5)
        XCTAssertEqual(try get(store, "foo"), [kv("foo", "c", create: 5, mod: 5, version: 1)])
        XCTAssertEqual(store.keyCount, 1)
    }

    func testHistoricalReads() throws {
        let store = MVCCStore()
        _ = put(store, "foo", "a")      // 2
        _ = put(store, "bar", "x")      // 3
        _ = put(store, "foo", "b")      // 4
        _ = delete(store, "foo")        // 5
        _ = put(store, "foo", "c")      // 6
        let table: [(Int64, [KeyValue])] = [
            (1, []),
            (2, [kv("foo", "a", create: 2, mod: 2, version: 1)]),
            (3, [kv("bar", "x", create: 3, mod: 3, version: 1), kv("foo", "a", create: 2, mod: 2, version: 1)]),
            (4, [kv("bar", "x", create: 3, mod: 3, version: 1), kv("foo", "b", create: 2, mod: 4, version: 2)]),
            (5, [kv("bar", "x", create: 3, mod: 3, version: 1)]),
            (6, [kv("bar", "x", create: 3, mod: 3, version: 1), kv("foo", "c", create: 6, mod: 6, version: 1)]),
            (0, [kv("bar", "x", create: 3, mod: 3, version: 1), kv("foo", "c", create: 6, mod: 6, version: 1)]),
            (-3, [kv("bar", "x", create: 3, mod: 3, version: 1), kv("foo", "c", create: 6, mod: 6, version: 1)]),
        ]
        for (revision, expected) in table {
            let result = try store.range(KeyRange(key: [0], rangeEnd: [0]), options: RangeOptions(revision: revision))
            XCTAssertEqual(result.kvs, expected, "at \(revision)")
            XCTAssertEqual(result.count, expected.count, "at \(revision)")
            XCTAssertEqual(result.revision, 6, "the result reports the current revision")
        }
        XCTAssertThrows(.futureRevision) { try get(store, "foo", at: 7) }
    }

    func testKeyRangeConventions() throws {
        let store = MVCCStore()
        for key in ["a", "ab", "b", "c", "\u{7f}", "\u{7f}\u{7f}"] { _ = put(store, key, "v") }
        func keys(_ key: String, _ end: String) throws -> [String] {
            try get(store, key, end: end).map { String(decoding: $0.key, as: UTF8.self) }
        }
        XCTAssertEqual(try keys("a", ""), ["a"])
        XCTAssertEqual(try keys("x", ""), [])
        XCTAssertEqual(try keys("a", "b"), ["a", "ab"])
        XCTAssertEqual(try keys("ab", "\0"), ["ab", "b", "c", "\u{7f}", "\u{7f}\u{7f}"])
        XCTAssertEqual(try keys("\0", "\0").count, 6)
        XCTAssertEqual(try keys("b", "b"), [])
        XCTAssertEqual(try keys("c", "a"), [])
        XCTAssertEqual(try keys("\u{7f}", "\u{80}"), ["\u{7f}", "\u{7f}\u{7f}"])
    }

    func testKeyRangeContains() {
        let table: [(key: String, end: String, inside: [String], outside: [String])] = [
            ("b", "", ["b"], ["a", "ba", "c"]),
            ("b", "d", ["b", "ba", "c", "cz"], ["a", "d", "da"]),
            ("b", "\0", ["b", "z", "\u{7f}"], ["a", "\0"]),
            ("\0", "\0", ["\0", "a", "\u{7f}"], []),
            ("c", "b", [], ["a", "b", "c", "d"]),
        ]
        for row in table {
            let range = KeyRange(key: bytes(row.key), rangeEnd: bytes(row.end))
            for key in row.inside { XCTAssertTrue(range.contains(bytes(key)), "\(row.key)..\(row.end) has \(key)") }
            for key in row.outside { XCTAssertFalse(range.contains(bytes(key)), "\(row.key)..\(row.end) lacks \(key)") }
        }
    }

    func testLimitAndCountOnlyLeaveCountWhole() throws {
        let store = MVCCStore()
        for key in ["a", "b", "c"] { _ = put(store, key, "v") }
        let all = KeyRange(key: [0], rangeEnd: [0])
        let limited = try store.range(all, options: RangeOptions(limit: 2))
        XCTAssertEqual(limited.kvs.map(\.key), [bytes("a"), bytes("b")])
        XCTAssertEqual(limited.count, 3)
        let counted = try store.range(all, options: RangeOptions(countOnly: true))
        XCTAssertEqual(counted.kvs, [])
        XCTAssertEqual(counted.count, 3)
    }

    func testWriteTransactionSharesOneRevisionAndSeesItsOwnChanges() throws {
        let store = storeWith([("x", "0")])
        let result = try store.write { (txn) throws(EtcdError) -> [KeyValue] in
            XCTAssertEqual(txn.readRevision, 2)
            txn.put(key: bytes("a"), value: bytes("1"), lease: 0)
            XCTAssertEqual(txn.readRevision, 3)
            txn.put(key: bytes("b"), value: bytes("2"), lease: 0)
            txn.deleteRange(.key(bytes("x")))
            // Outside the transaction, the committed state is unchanged until it ends.
            XCTAssertEqual(try store.range(.key(bytes("a"))).kvs, [])
            return try txn.range(KeyRange(key: [0], rangeEnd: [0])).kvs
        }
        XCTAssertEqual(result.value, [kv("a", "1", create: 3, mod: 3, version: 1), kv("b", "2", create: 3, mod: 3, version: 1)])
        XCTAssertEqual(result.revision, 3)
        XCTAssertEqual(store.currentRevision, 3)
        XCTAssertEqual(result.events.map(\.type), [.put, .put, .delete])
        XCTAssertEqual(result.events.map { $0.kv!.modRevision }, [3, 3, 3])
        XCTAssertEqual(result.events[2].kv, KeyValue(key: bytes("x"), createRevision: 0, modRevision: 3, version: 0, value: [], lease: 0))
        XCTAssertEqual(result.events[2].prevKV, kv("x", "0", create: 2, mod: 2, version: 1))
        XCTAssertNil(result.events[0].prevKV)
        XCTAssertEqual(store.log.changes.map(\.revision), [rev(2), rev(3, 0), rev(3, 1), rev(3, 2)])
    }

    func testSameKeyTwiceInOneTransaction() throws {
        let store = MVCCStore()
        let result = store.write { txn in
            txn.put(key: bytes("k"), value: bytes("1"), lease: 0)
            return txn.put(key: bytes("k"), value: bytes("2"), lease: 0)
        }
        XCTAssertEqual(result.value, kv("k", "1", create: 2, mod: 2, version: 1))
        XCTAssertEqual(try get(store, "k"), [kv("k", "2", create: 2, mod: 2, version: 2)])
        XCTAssertEqual(result.events.last?.prevKV, kv("k", "1", create: 2, mod: 2, version: 1))
    }

    func testTransactionThatChangesNothingKeepsTheRevision() throws {
        let store = storeWith([("a", "1")])
        let result = store.write { txn in txn.deleteRange(.key(bytes("missing"))) }
        XCTAssertEqual(result.value, [])
        XCTAssertEqual(result.revision, 2)
        XCTAssertEqual(result.events, [])
        XCTAssertEqual(store.currentRevision, 2)
        XCTAssertEqual(put(store, "b", "2").revision, 3)
    }

    struct Abort: Error {}

    func testThrowingTransactionLeavesNoTrace() throws {
        let store = storeWith([("a", "1"), ("b", "2")])
        let before = try get(store, "\0", end: "\0")
        XCTAssertThrowsError(try store.write { (txn) throws(Abort) in
            txn.put(key: bytes("a"), value: bytes("changed"), lease: 0)
            txn.put(key: bytes("new"), value: bytes("n"), lease: 0)
            txn.deleteRange(.key(bytes("b")))
            txn.put(key: bytes("b"), value: bytes("again"), lease: 0)
            throw Abort()
        })
        XCTAssertEqual(store.currentRevision, 3)
        XCTAssertEqual(store.keyCount, 2)
        XCTAssertEqual(try get(store, "\0", end: "\0"), before)
        XCTAssertNil(store.index[bytes("new")])
        XCTAssertEqual(store.log.count, 2)

        // The store goes on as if the failed transaction never ran.
        XCTAssertEqual(put(store, "a", "3").revision, 4)
        XCTAssertEqual(try get(store, "a"), [kv("a", "3", create: 2, mod: 4, version: 2)])
        XCTAssertEqual(delete(store, "b").events.first?.prevKV, kv("b", "2", create: 3, mod: 3, version: 1))
    }

    func testCompactionErrorsAndReadsAroundIt() throws {
        let store = storeWith([("a", "1"), ("a", "2"), ("b", "1"), ("a", "3")]) // revisions 2...5
        XCTAssertThrows(.futureRevision) { try store.compact(at: 6) }
        try store.compact(at: 3)
        XCTAssertEqual(store.compactedRevision, 3)
        XCTAssertThrows(.compacted) { try get(store, "a", at: 2) }
        XCTAssertEqual(try get(store, "a", at: 3), [kv("a", "2", create: 2, mod: 3, version: 2)])
        XCTAssertEqual(try get(store, "a", at: 4), [kv("a", "2", create: 2, mod: 3, version: 2)])
        XCTAssertEqual(try get(store, "a"), [kv("a", "3", create: 2, mod: 5, version: 3)])
        XCTAssertThrows(.compacted) { try store.compact(at: 3) }
        XCTAssertThrows(.compacted) { try store.compact(at: 2) }
        try store.compact(at: 5)
        XCTAssertThrows(.compacted) { try get(store, "a", at: 4) }
        XCTAssertEqual(try get(store, "\0", end: "\0", at: 5).count, 2)
    }

    func testCompactAtZeroIsAllowedOnceOnAFreshStore() throws {
        let store = MVCCStore()
        XCTAssertEqual(try store.compact(at: 0).removedRevisions, [])
        XCTAssertEqual(store.compactedRevision, 0)
        XCTAssertThrows(.compacted) { try store.compact(at: 0) }
        XCTAssertThrows(.compacted) { try store.compact(at: -1) }
        try store.compact(at: 1)
    }

    func testCompactionRemovesTombstonesAndKeepsLatestOfLiveKeys() throws {
        let store = MVCCStore()
        _ = put(store, "live", "1")     // 2
        _ = put(store, "gone", "1")     // 3
        _ = put(store, "live", "2")     // 4
        _ = delete(store, "gone")       // 5
        _ = put(store, "late", "1")     // 6
        _ = put(store, "live", "3")     // 7
        let result = try store.compact(at: 6)
        XCTAssertEqual(result.revision, 6)
        XCTAssertEqual(result.removedRevisions, [rev(2), rev(3), rev(5)])
        XCTAssertEqual(store.log.changes.map(\.revision), [rev(4), rev(6), rev(7)])
        XCTAssertNil(store.index[bytes("gone")])
        XCTAssertEqual(store.index.count, 2)
        XCTAssertEqual(store.keyCount, 2)
        XCTAssertEqual(try get(store, "\0", end: "\0", at: 6),
                       [kv("late", "1", create: 6, mod: 6, version: 1), kv("live", "2", create: 2, mod: 4, version: 2)])
        XCTAssertEqual(try get(store, "live"), [kv("live", "3", create: 2, mod: 7, version: 3)])
        // A tombstone above the compaction point stays until a later compaction passes it.
        _ = delete(store, "late")       // 8
        XCTAssertEqual(try store.compact(at: 7).removedRevisions, [rev(4)])
        XCTAssertEqual(try store.compact(at: 8).removedRevisions, [rev(6), rev(8)])
        XCTAssertNil(store.index[bytes("late")])
    }

    func testApproximateBytesFollowsTheStoredHistory() throws {
        let store = MVCCStore()
        XCTAssertEqual(store.approximateBytes, 0)
        _ = put(store, "key", "value")   // 2: 8 bytes
        _ = put(store, "key", "v2")      // 3: 5 bytes
        _ = delete(store, "key")         // 4: tombstone, 3 bytes
        XCTAssertEqual(store.approximateBytes, 16)
        struct Abort: Error {}
        _ = try? store.write { (txn) throws(Abort) in
            txn.put(key: bytes("big"), value: Array(repeating: 1, count: 100), lease: 0)
            throw Abort()
        }
        XCTAssertEqual(store.approximateBytes, 16)
        try store.compact(at: 3)
        XCTAssertEqual(store.approximateBytes, 8)
        try store.compact(at: 4)
        XCTAssertEqual(store.approximateBytes, 0)
    }
}
