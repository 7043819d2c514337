import EtcdWire
@testable import MVCC
import XCTest

final class TxnValidationTests: XCTestCase {
    let executor = KVExecutor(maxTxnOps: 4)

    func puts(_ keys: String...) -> [RequestOp] { keys.map { .put(putRequest($0, "v")) } }
    func check(_ ops: [RequestOp]) -> TxnRequest { txnRequest(success: ops) }
    func nested(then: [RequestOp] = [], otherwise: [RequestOp] = []) -> RequestOp {
        .txn(txnRequest(success: then, failure: otherwise))
    }

    func testTooManyOps() {
        let cmp = compare("k", .version, .equal, .version(0))
        XCTAssertNoThrow(try executor.validate(txnRequest(Array(repeating: cmp, count: 4), success: puts("a", "b", "c", "d"), failure: puts("a", "b", "c", "d"))))
        XCTAssertThrows(.tooManyOps) { try executor.validate(txnRequest(Array(repeating: cmp, count: 5))) }
        XCTAssertThrows(.tooManyOps) { try executor.validate(txnRequest(success: puts("a", "b", "c", "d", "e"))) }
        XCTAssertThrows(.tooManyOps) { try executor.validate(txnRequest(failure: puts("a", "b", "c", "d", "e"))) }
        XCTAssertNoThrow(try KVExecutor().validate(txnRequest(success: Array(repeating: .range(rangeRequest("k")), count: 128))))
        XCTAssertThrows(.tooManyOps) { try KVExecutor().validate(txnRequest(success: Array(repeating: .range(rangeRequest("k")), count: 129))) }
    }

    /// A nested transaction may use only what the largest list of its parent left of the budget.
    func testNestedBudgetShrinks() {
        let inner2 = nested(then: puts("x", "y"))
        XCTAssertNoThrow(try executor.validate(check(puts("a") + [inner2])))          // 4 - 2 = 2 left
        XCTAssertThrows(.tooManyOps) { try executor.validate(check(puts("a", "b") + [inner2])) } // 4 - 3 = 1 left
        let emptyInner = nested()
        XCTAssertNoThrow(try executor.validate(check(puts("a", "b", "c") + [emptyInner])))
    }

    func testShapeErrors() {
        XCTAssertThrows(.emptyKey) { try executor.validate(txnRequest([compare("", .version, .equal, .version(0))])) }
        XCTAssertThrows(.keyNotFound) { try executor.validate(check([RequestOp()])) }
        XCTAssertThrows(.keyNotFound) { try executor.validate(txnRequest(failure: [RequestOp()])) }
        XCTAssertThrows(.emptyKey) { try executor.validate(check([.range(rangeRequest(""))])) }
        XCTAssertThrows(.emptyKey) { try executor.validate(check([.delete(deleteRequest(""))])) }
        XCTAssertThrows(.emptyKey) { try executor.validate(check([nested(otherwise: [.put(putRequest(""))])])) }
        XCTAssertThrows(.valueProvided) { try executor.validate(check([.put(putRequest("k", "v", ignoreValue: true))])) }
        XCTAssertThrows(.leaseProvided) { try executor.validate(check([.put(putRequest("k", lease: 1, ignoreLease: true))])) }
        XCTAssertThrows(.keyNotFound) { try executor.validate(check([nested(then: [RequestOp()])])) }
        // Shape is checked before duplicates.
        XCTAssertThrows(.keyNotFound) { try executor.validate(check(puts("a", "a") + [RequestOp()])) }
    }

    func testDuplicateKeys() {
        let table: [(String, [RequestOp], duplicate: Bool)] = [
            ("two puts", puts("a", "a"), true),
            ("distinct puts", puts("a", "b"), false),
            ("put then delete", puts("a") + [.delete(deleteRequest("a"))], true),
            ("delete then put", [.delete(deleteRequest("a"))] + puts("a"), true),
            ("put inside a deleted range", [.delete(deleteRequest("a", end: "c"))] + puts("b"), true),
            ("put at a range's end", [.delete(deleteRequest("a", end: "c"))] + puts("c"), false),
            ("put before a range", [.delete(deleteRequest("b", end: "c"))] + puts("a"), false),
            ("from-key delete is not seen (etcd 3.4)", [.delete(deleteRequest("a", end: "\0"))] + puts("b"), false),
            ("all-keys delete is not seen (etcd 3.4)", [.delete(deleteRequest("\0", end: "\0"))] + puts("b"), false),
            ("two deletes", [.delete(deleteRequest("a")), .delete(deleteRequest("a", end: "z"))], false),
            ("put and range", puts("a") + [.range(rangeRequest("a"))], false),
            ("put and nested put", puts("a") + [nested(then: puts("a"))], true),
            ("nested put and put", [nested(otherwise: puts("a"))] + puts("a"), true),
            ("then and else of one nested txn", [nested(then: puts("a"), otherwise: puts("a"))], false),
            ("two nested txns", [nested(then: puts("a")), nested(otherwise: puts("a"))], true),
            ("two nested then branches", [nested(then: puts("a")), nested(then: puts("a"))], true),
            ("nested duplicate", [nested(then: puts("a", "a"))], true),
            ("nested delete then put", [nested(then: [.delete(deleteRequest("a"))])] + puts("a"), true),
            ("delete then nested put", [.delete(deleteRequest("a", end: "b")), nested(otherwise: puts("a"))], true),
            ("nested delete before nested put", [nested(then: [.delete(deleteRequest("a"))]), nested(then: puts("a"))], true),
            ("nested put before nested delete (etcd 3.4)", [nested(then: puts("a")), nested(then: [.delete(deleteRequest("a"))])], false),
            ("then delete, else put", [nested(then: [.delete(deleteRequest("a"))], otherwise: puts("a"))], false),
            ("deep nesting", [nested(then: [nested(otherwise: puts("a"))])] + puts("a"), true),
        ]
        for (name, ops, duplicate) in table {
            let executor = KVExecutor()
            if duplicate {
                XCTAssertThrows(.duplicateKey, { try executor.validate(check(ops)) }, name)
                XCTAssertThrows(.duplicateKey, { try executor.validate(txnRequest(failure: ops)) }, name)
            } else {
                XCTAssertNoThrow(try executor.validate(check(ops)), name)
            }
        }
        // The two top-level branches are independent.
        XCTAssertNoThrow(try executor.validate(txnRequest(success: puts("a"), failure: puts("a"))))
    }
}
