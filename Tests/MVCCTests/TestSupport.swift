import EtcdWire
@testable import MVCC
import XCTest

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

func rev(_ main: Int64, _ sub: Int64 = 0) -> Revision { Revision(main: main, sub: sub) }

func kv(_ key: String, _ value: String, create: Int64, mod: Int64, version: Int64, lease: Int64 = 0) -> KeyValue {
    KeyValue(key: bytes(key), createRevision: create, modRevision: mod, version: version, value: bytes(value), lease: lease)
}

func putRequest(
    _ key: String, _ value: String = "", lease: Int64 = 0, prevKV: Bool = false,
    ignoreValue: Bool = false, ignoreLease: Bool = false
) -> PutRequest {
    var request = PutRequest()
    request.key = bytes(key)
    request.value = bytes(value)
    request.lease = lease
    request.prevKV = prevKV
    request.ignoreValue = ignoreValue
    request.ignoreLease = ignoreLease
    return request
}

func rangeRequest(_ key: String, end: String = "", revision: Int64 = 0, limit: Int64 = 0) -> RangeRequest {
    var request = RangeRequest()
    request.key = bytes(key)
    request.rangeEnd = bytes(end)
    request.revision = revision
    request.limit = limit
    return request
}

func deleteRequest(_ key: String, end: String = "", prevKV: Bool = false) -> DeleteRangeRequest {
    var request = DeleteRangeRequest()
    request.key = bytes(key)
    request.rangeEnd = bytes(end)
    request.prevKV = prevKV
    return request
}

func compare(
    _ key: String, _ target: CompareTarget, _ result: CompareResult, _ union: Compare.TargetUnion?, end: String = ""
) -> Compare {
    var compare = Compare()
    compare.key = bytes(key)
    compare.rangeEnd = bytes(end)
    compare.target = target
    compare.result = result
    compare.targetUnion = union
    return compare
}

func txnRequest(_ compares: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) -> TxnRequest {
    var request = TxnRequest()
    request.compare = compares
    request.success = success
    request.failure = failure
    return request
}

extension RequestOp {
    static func put(_ request: PutRequest) -> RequestOp { RequestOp(.put(request)) }
    static func range(_ request: RangeRequest) -> RequestOp { RequestOp(.range(request)) }
    static func delete(_ request: DeleteRangeRequest) -> RequestOp { RequestOp(.deleteRange(request)) }
    static func txn(_ request: TxnRequest) -> RequestOp { RequestOp(.txn(request)) }
}

extension ResponseOp {
    var range: RangeResponse? { if case .range(let r)? = response { return r } else { return nil } }
    var put: PutResponse? { if case .put(let r)? = response { return r } else { return nil } }
    var deleteRange: DeleteRangeResponse? { if case .deleteRange(let r)? = response { return r } else { return nil } }
    var txn: TxnResponse? { if case .txn(let r)? = response { return r } else { return nil } }
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrows<T>(
    _ expected: EtcdError, _ body: () throws -> T,
    _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown. \(message)", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? EtcdError, expected, message, file: file, line: line)
    }
}

/// A store with the given keys put one per revision, in order (first at revision 2).
func storeWith(_ pairs: [(String, String)], executor: KVExecutor = KVExecutor()) -> MVCCStore {
    let store = MVCCStore()
    for (key, value) in pairs {
        _ = try! executor.put(putRequest(key, value), in: store)
    }
    return store
}

/// A small deterministic generator (SplitMix64), so a failing seed replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RevisionLog {
    /// Every stored change, copied out, oldest first.
    var changes: [StoredChange] { changes(fromMain: .min).map(\.change) }
}
