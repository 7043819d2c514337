import EtcdWire
@testable import MVCC
import XCTest

final class TxnExecutorTests: XCTestCase {
    let executor = KVExecutor(leaseExists: { $0 == 7 })

    /// k: value "v", create 2, mod 3, version 2, lease 7. Current revision 3.
    func storeWithK() throws -> MVCCStore {
        let store = MVCCStore()
        _ = try executor.put(putRequest("k", "u"), in: store)
        _ = try executor.put(putRequest("k", "v", lease: 7), in: store)
        return store
    }

    func holds(_ compare: Compare, in store: MVCCStore) throws -> Bool {
        try executor.txn(txnRequest([compare]), in: store).value.succeeded
    }

    func testEveryCompareTargetAndResult() throws {
        let store = try storeWithK()
        let table: [(CompareTarget, Compare.TargetUnion, equal: Bool, greater: Bool, less: Bool)] = [
            (.value, .value(bytes("v")), true, false, false),
            (.value, .value(bytes("u")), false, true, false),
            (.value, .value(bytes("w")), false, false, true),
            (.value, .value(bytes("v0")), false, false, true),
            (.version, .version(2), true, false, false),
            (.version, .version(1), false, true, false),
            (.version, .version(3), false, false, true),
            (.create, .createRevision(2), true, false, false),
            (.create, .createRevision(1), false, true, false),
            (.create, .createRevision(3), false, false, true),
            (.mod, .modRevision(3), true, false, false),
            (.mod, .modRevision(2), false, true, false),
            (.mod, .modRevision(4), false, false, true),
            (.lease, .lease(7), true, false, false),
            (.lease, .lease(6), false, true, false),
            (.lease, .lease(8), false, false, true),
        ]
        for (target, union, equal, greater, less) in table {
            let label = "\(target.rawValue) \(union)"
            XCTAssertEqual(try holds(compare("k", target, .equal, union), in: store), equal, label)
            XCTAssertEqual(try holds(compare("k", target, .notEqual, union), in: store), !equal, label)
            XCTAssertEqual(try holds(compare("k", target, .greater, union), in: store), greater, label)
            XCTAssertEqual(try holds(compare("k", target, .less, union), in: store), less, label)
        }
    }

    func testCompareOnMissingKey() throws {
        let store = try storeWithK()
        XCTAssertFalse(try holds(compare("nope", .value, .equal, .value([])), in: store))
        XCTAssertFalse(try holds(compare("nope", .value, .notEqual, .value(bytes("x"))), in: store))
        XCTAssertFalse(try holds(compare("nope", .value, .less, .value(bytes("x"))), in: store))
        XCTAssertTrue(try holds(compare("nope", .version, .equal, .version(0)), in: store))
        XCTAssertTrue(try holds(compare("nope", .create, .equal, .createRevision(0)), in: store))
        XCTAssertTrue(try holds(compare("nope", .mod, .equal, .modRevision(0)), in: store))
        XCTAssertTrue(try holds(compare("nope", .lease, .equal, .lease(0)), in: store))
        XCTAssertFalse(try holds(compare("nope", .version, .greater, .version(0)), in: store))
        XCTAssertTrue(try holds(compare("nope", .mod, .less, .modRevision(1)), in: store))
    }

    func testCompareWithMismatchedOrMissingTargetUnionUsesZero() throws {
        let store = try storeWithK()
        XCTAssertTrue(try holds(compare("k", .version, .greater, .modRevision(99)), in: store))
        XCTAssertTrue(try holds(compare("k", .version, .greater, nil), in: store))
        XCTAssertTrue(try holds(compare("k", .value, .greater, .version(5)), in: store))
        XCTAssertTrue(try holds(compare("nope", .create, .equal, nil), in: store))
    }

    func testCompareOverRangeNeedsEveryKey() throws {
        let store = storeWith([("a1", "x"), ("a2", "x"), ("a3", "y"), ("b", "x")])
        XCTAssertTrue(try holds(compare("a1", .value, .equal, .value(bytes("x")), end: "a3"), in: store))
        XCTAssertFalse(try holds(compare("a1", .value, .equal, .value(bytes("x")), end: "a4"), in: store))
        XCTAssertTrue(try holds(compare("a", .version, .equal, .version(1), end: "\0"), in: store))
        XCTAssertTrue(try holds(compare("a", .create, .greater, .createRevision(1), end: "b"), in: store))
        XCTAssertFalse(try holds(compare("a", .create, .greater, .createRevision(2), end: "b"), in: store))
        // An empty range behaves like a missing key.
        XCTAssertFalse(try holds(compare("c", .value, .equal, .value([]), end: "d"), in: store))
        XCTAssertTrue(try holds(compare("c", .version, .equal, .version(0), end: "d"), in: store))
        XCTAssertTrue(try holds(compare("b", .version, .equal, .version(0), end: "a"), in: store))
    }

    func testComparesAreANDed() throws {
        let store = try storeWithK()
        let yes = compare("k", .version, .equal, .version(2))
        let no = compare("k", .version, .equal, .version(9))
        XCTAssertTrue(try executor.txn(txnRequest([yes, yes]), in: store).value.succeeded)
        XCTAssertFalse(try executor.txn(txnRequest([yes, no]), in: store).value.succeeded)
        XCTAssertTrue(try executor.txn(txnRequest([]), in: store).value.succeeded)
    }

    func testBranchesResponsesAndOneRevision() throws {
        let store = try storeWithK()
        let request = txnRequest(
            [compare("k", .value, .equal, .value(bytes("v")))],
            success: [
                .range(rangeRequest("k")),
                .delete(deleteRequest("nothing")),
                .put(putRequest("a", "1", prevKV: true)),
                .put(putRequest("k", "w", prevKV: true)),
                .range(rangeRequest("\0", end: "\0")),
                .delete(deleteRequest("nothing")),
                .txn(txnRequest(success: [.range(rangeRequest("a"))])),
            ],
            failure: [.put(putRequest("f", "1"))]
        )
        let result = try executor.txn(request, in: store)
        let response = result.value
        XCTAssertTrue(response.succeeded)
        XCTAssertEqual(response.header, .revision(4))
        XCTAssertEqual(result.revision, 4)
        XCTAssertEqual(response.responses.count, 7)
        // Nested headers report the transaction's revision as it stood after that op.
        XCTAssertEqual(response.responses[0].range?.header, .revision(3))
        XCTAssertEqual(response.responses[0].range?.kvs, [kv("k", "v", create: 2, mod: 3, version: 2, lease: 7)])
        XCTAssertEqual(response.responses[1].deleteRange?.header, .revision(3))
        XCTAssertEqual(response.responses[2].put?.header, .revision(4))
        XCTAssertNil(response.responses[2].put?.prevKV)
        XCTAssertEqual(response.responses[3].put?.prevKV, kv("k", "v", create: 2, mod: 3, version: 2, lease: 7))
        XCTAssertEqual(response.responses[4].range?.kvs, [
            kv("a", "1", create: 4, mod: 4, version: 1),
            kv("k", "w", create: 2, mod: 4, version: 3),
        ])
        XCTAssertEqual(response.responses[4].range?.header, .revision(4))
        XCTAssertEqual(response.responses[5].deleteRange?.header, .revision(4))
        // A nested transaction's own header stays empty, as in etcd.
        XCTAssertEqual(response.responses[6].txn?.header, ResponseHeader())
        XCTAssertEqual(response.responses[6].txn?.succeeded, true)
        XCTAssertEqual(response.responses[6].txn?.responses.first?.range?.kvs.first?.value, bytes("1"))
        XCTAssertEqual(result.events.map { $0.kv!.key }, [bytes("a"), bytes("k")])
        XCTAssertEqual(result.events.map { $0.kv!.modRevision }, [4, 4])
        XCTAssertEqual(store.log.changes.suffix(2).map(\.revision), [rev(4, 0), rev(4, 1)])
    }

    func testFailureBranch() throws {
        let store = try storeWithK()
        let request = txnRequest(
            [compare("k", .version, .equal, .version(1))],
            success: [.put(putRequest("s", "1"))],
            failure: [.put(putRequest("f", "1")), .range(rangeRequest("f"))]
        )
        let result = try executor.txn(request, in: store)
        XCTAssertFalse(result.value.succeeded)
        XCTAssertEqual(result.value.responses.count, 2)
        XCTAssertEqual(result.value.responses[1].range?.kvs.map(\.key), [bytes("f")])
        XCTAssertEqual(try executor.range(rangeRequest("s"), in: store).kvs, [])
    }

    func testReadOnlyAndNoOpTransactionsKeepTheRevision() throws {
        let store = try storeWithK()
        var result = try executor.txn(txnRequest(success: [.range(rangeRequest("k"))]), in: store)
        XCTAssertEqual(result.value.header, .revision(3))
        XCTAssertEqual(result.events, [])
        result = try executor.txn(txnRequest(success: [.delete(deleteRequest("zzz"))]), in: store)
        XCTAssertEqual(result.value.header, .revision(3))
        XCTAssertEqual(store.currentRevision, 3)
        XCTAssertTrue(KVExecutor.isReadOnly(txnRequest(success: [.range(rangeRequest("k"))], failure: [.range(rangeRequest("j"))])))
        XCTAssertFalse(KVExecutor.isReadOnly(txnRequest(success: [.range(rangeRequest("k"))], failure: [.delete(deleteRequest("j"))])))
        XCTAssertFalse(KVExecutor.isReadOnly(txnRequest(success: [.txn(txnRequest())])))
    }

    /// etcd decides every branch, nested ones included, before the first op runs.
    func testNestedComparesSeeTheStateBeforeTheTransaction() throws {
        let store = try storeWithK()
        let nested = txnRequest(
            [compare("n", .value, .equal, .value(bytes("1")))],
            success: [.put(putRequest("saw", "new"))],
            failure: [.put(putRequest("saw", "old"))]
        )
        let result = try executor.txn(txnRequest(success: [.put(putRequest("n", "1")), .txn(nested)]), in: store)
        XCTAssertEqual(result.value.responses[1].txn?.succeeded, false)
        XCTAssertEqual(try executor.range(rangeRequest("saw"), in: store).kvs.first?.value, bytes("old"))
        XCTAssertEqual(result.revision, 4)
    }

    func testOpsSeeEarlierOpsOfTheSameTransaction() throws {
        let store = try storeWithK()
        let result = try executor.txn(txnRequest(success: [
            .delete(deleteRequest("k", prevKV: true)),
            .range(rangeRequest("k")),
            .put(putRequest("a", "1")),
            .txn(txnRequest(success: [.range(rangeRequest("a")), .delete(deleteRequest("a", prevKV: true))])),
            .range(rangeRequest("\0", end: "\0")),
        ]), in: store)
        let responses = result.value.responses
        XCTAssertEqual(responses[0].deleteRange?.deleted, 1)
        XCTAssertEqual(responses[1].range?.kvs, [])
        XCTAssertEqual(responses[3].txn?.responses[0].range?.kvs.first?.value, bytes("1"))
        XCTAssertEqual(responses[3].txn?.responses[1].deleteRange?.prevKVs, [kv("a", "1", create: 4, mod: 4, version: 1)])
        XCTAssertEqual(responses[4].range?.count, 0)
        XCTAssertEqual(result.events.map(\.type), [.delete, .put, .delete])
        XCTAssertEqual(store.keyCount, 0)
    }

    // MARK: - Failures apply nothing

    func assertFailsCleanly(_ request: TxnRequest, _ expected: EtcdError, in store: MVCCStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let revision = store.currentRevision
        let before = try executor.range(rangeRequest("\0", end: "\0"), in: store).kvs
        XCTAssertNoThrow(try executor.validate(request), file: file, line: line)
        XCTAssertThrows(expected, { try executor.txn(request, in: store) }, file: file, line: line)
        XCTAssertEqual(store.currentRevision, revision, file: file, line: line)
        XCTAssertEqual(try executor.range(rangeRequest("\0", end: "\0"), in: store).kvs, before, file: file, line: line)
    }

    func testErrorInTheChosenBranchAppliesNothing() throws {
        let store = try storeWithK()
        try assertFailsCleanly(txnRequest(success: [.put(putRequest("x", "1")), .put(putRequest("gone", ignoreValue: true))]), .keyNotFound, in: store)
        try assertFailsCleanly(txnRequest(success: [.put(putRequest("x", "1")), .put(putRequest("y", ignoreLease: true))]), .keyNotFound, in: store)
        try assertFailsCleanly(txnRequest(success: [.put(putRequest("x", "1")), .put(putRequest("y", lease: 99))]), .leaseNotFound, in: store)
        try assertFailsCleanly(txnRequest(success: [.delete(deleteRequest("k")), .range(rangeRequest("k", revision: 4))]), .futureRevision, in: store)
        let nestedFailure = txnRequest([compare("k", .version, .equal, .version(9))], failure: [.put(putRequest("z", lease: 99))])
        try assertFailsCleanly(txnRequest(success: [.put(putRequest("x", "1")), .txn(nestedFailure)]), .leaseNotFound, in: store)
        // An error in the branch not taken does not matter.
        let unaffected = try executor.txn(txnRequest(success: [.put(putRequest("x", "1"))], failure: [.put(putRequest("y", lease: 99))]), in: store)
        XCTAssertEqual(unaffected.revision, 4)
    }

    func testPutChecksComeBeforeRangeChecks() throws {
        let store = try storeWithK()
        try assertFailsCleanly(txnRequest(success: [.range(rangeRequest("k", revision: 99)), .put(putRequest("gone", ignoreValue: true))]), .keyNotFound, in: store)
        // Within the put check, ignore_* comes before the lease.
        try assertFailsCleanly(txnRequest(success: [.put(putRequest("gone", lease: 99, ignoreValue: true))]), .keyNotFound, in: store)
    }

    func testRangeRevisionChecksInsideATransaction() throws {
        let store = try storeWithK()
        // Before any compaction etcd's compacted revision is -1: -1 passes, -2 does not.
        XCTAssertNoThrow(try executor.txn(txnRequest(success: [.range(rangeRequest("k", revision: -1))]), in: store))
        try assertFailsCleanly(txnRequest(success: [.range(rangeRequest("k", revision: -2))]), .compacted, in: store)
        _ = try store.compact(at: 2)
        try assertFailsCleanly(txnRequest(success: [.range(rangeRequest("k", revision: 1))]), .compacted, in: store)
        try assertFailsCleanly(txnRequest(success: [.range(rangeRequest("k", revision: -1))]), .compacted, in: store)
        let atCompacted = try executor.txn(txnRequest(success: [.range(rangeRequest("k", revision: 2))]), in: store)
        XCTAssertEqual(atCompacted.value.responses[0].range?.kvs, [kv("k", "u", create: 2, mod: 2, version: 1)])
    }

    /// etcd 3.4's duplicate check does not see a from-key delete, and its applier panics when the
    /// ignore_value put then finds its key deleted. Here the transaction fails and applies nothing.
    func testIgnoreValuePutAfterFromKeyDeleteFailsWholeTransaction() throws {
        let store = try storeWithK()
        let request = txnRequest(success: [.delete(deleteRequest("a", end: "\0")), .put(putRequest("k", ignoreValue: true))])
        try assertFailsCleanly(request, .keyNotFound, in: store)
        XCTAssertEqual(store.keyCount, 1)
    }
}
