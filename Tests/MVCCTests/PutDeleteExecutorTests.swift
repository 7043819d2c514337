import EtcdWire
@testable import MVCC
import XCTest

final class PutDeleteExecutorTests: XCTestCase {
    let executor = KVExecutor(leaseExists: { $0 == 7 || $0 == 8 })

    func testPutReturnsNewRevisionAndOptionallyPrevKV() throws {
        let store = MVCCStore()
        let first = try executor.put(putRequest("k", "1", prevKV: true), in: store)
        XCTAssertEqual(first.value.header, .revision(2))
        XCTAssertNil(first.value.prevKV)
        XCTAssertEqual(first.events, [.put(kv("k", "1", create: 2, mod: 2, version: 1), previous: nil)])

        let second = try executor.put(putRequest("k", "2", lease: 7, prevKV: true), in: store)
        XCTAssertEqual(second.value.prevKV, kv("k", "1", create: 2, mod: 2, version: 1))
        XCTAssertEqual(second.revision, 3)
        XCTAssertEqual(second.events.first?.kv, kv("k", "2", create: 2, mod: 3, version: 2, lease: 7))

        let third = try executor.put(putRequest("k", "2"), in: store)
        XCTAssertNil(third.value.prevKV, "prev_kv only when asked")
        XCTAssertEqual(third.value.header, .revision(4), "a put of the same value still makes a revision")
    }

    func testIgnoreValueAndIgnoreLeaseReuseThePreviousOnes() throws {
        let store = MVCCStore()
        _ = try executor.put(putRequest("k", "v", lease: 7), in: store)
        _ = try executor.put(putRequest("k", lease: 8, ignoreValue: true), in: store)
        XCTAssertEqual(try executor.range(rangeRequest("k"), in: store).kvs, [kv("k", "v", create: 2, mod: 3, version: 2, lease: 8)])
        _ = try executor.put(putRequest("k", "w", ignoreLease: true), in: store)
        XCTAssertEqual(try executor.range(rangeRequest("k"), in: store).kvs, [kv("k", "w", create: 2, mod: 4, version: 3, lease: 8)])
        _ = try executor.put(putRequest("k", "w"), in: store)
        XCTAssertEqual(try executor.range(rangeRequest("k"), in: store).kvs.first?.lease, 0, "a plain put drops the lease")
    }

    func testPutErrorsChangeNothing() throws {
        let store = storeWith([("k", "v")])
        XCTAssertThrows(.leaseNotFound) { try executor.put(putRequest("k", "v", lease: 99), in: store) }
        XCTAssertThrows(.keyNotFound) { try executor.put(putRequest("missing", ignoreValue: true), in: store) }
        XCTAssertThrows(.keyNotFound) { try executor.put(putRequest("missing", "v", ignoreLease: true), in: store) }
        // The lease is checked first.
        XCTAssertThrows(.leaseNotFound) { try executor.put(putRequest("missing", lease: 99, ignoreValue: true), in: store) }
        XCTAssertEqual(store.currentRevision, 2)
        XCTAssertEqual(store.keyCount, 1)
        XCTAssertThrows(.leaseNotFound) { try KVExecutor().put(putRequest("k", "v", lease: 7), in: store) }
    }

    func testPutValidation() {
        XCTAssertThrows(.emptyKey) { try executor.validate(putRequest("", "v")) }
        XCTAssertThrows(.valueProvided) { try executor.validate(putRequest("k", "v", ignoreValue: true)) }
        XCTAssertThrows(.leaseProvided) { try executor.validate(putRequest("k", lease: 7, ignoreLease: true)) }
        XCTAssertNoThrow(try executor.validate(putRequest("k", ignoreValue: true, ignoreLease: true)))
        XCTAssertThrows(.emptyKey) { try executor.validate(rangeRequest("")) }
        XCTAssertThrows(.emptyKey) { try executor.validate(deleteRequest("", end: "\0")) }
        XCTAssertNoThrow(try executor.validate(rangeRequest("\0", end: "\0")))
    }

    func testDeleteRange() throws {
        let store = storeWith([("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])
        let result = executor.deleteRange(deleteRequest("b", end: "d", prevKV: true), in: store)
        XCTAssertEqual(result.value.deleted, 2)
        XCTAssertEqual(result.value.header, .revision(6))
        XCTAssertEqual(result.value.prevKVs, [kv("b", "2", create: 3, mod: 3, version: 1), kv("c", "3", create: 4, mod: 4, version: 1)])
        XCTAssertEqual(result.events.map(\.type), [.delete, .delete])
        XCTAssertEqual(result.events.map(\.kv), [
            KeyValue(key: bytes("b"), createRevision: 0, modRevision: 6, version: 0, value: [], lease: 0),
            KeyValue(key: bytes("c"), createRevision: 0, modRevision: 6, version: 0, value: [], lease: 0),
        ])
        XCTAssertEqual(result.events.map(\.prevKV), result.value.prevKVs.map { $0 })
        XCTAssertEqual(store.keyCount, 2)

        let withoutPrev = executor.deleteRange(deleteRequest("a", end: "\0"), in: store)
        XCTAssertEqual(withoutPrev.value.deleted, 2)
        XCTAssertEqual(withoutPrev.value.prevKVs, [])
        XCTAssertEqual(withoutPrev.revision, 7)
    }

    func testDeleteOfNothingKeepsTheRevision() {
        let store = storeWith([("a", "1")])
        let result = executor.deleteRange(deleteRequest("z", prevKV: true), in: store)
        XCTAssertEqual(result.value.deleted, 0)
        XCTAssertEqual(result.value.header, .revision(2))
        XCTAssertEqual(result.events, [])
        XCTAssertEqual(store.currentRevision, 2)
    }
}
