import EtcdWire
import Foundation
@testable import MVCC
import XCTest

/// Thousands of random puts, deletes, transactions, compactions and (historical) reads, each run
/// against the store through `KVExecutor` and against `ReferenceModel`, with every response,
/// event and error compared. A failure names its seed; rerun one seed with
/// `MVCC_MODEL_SEED=<seed> swift test --filter RandomizedModelTests`.
final class RandomizedModelTests: XCTestCase {
    func testStoreMatchesReferenceModel() {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64] = environment["MVCC_MODEL_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2, 3, 4]
        let steps = environment["MVCC_MODEL_STEPS"].flatMap(Int.init) ?? 2500
        for seed in seeds {
            ModelRun(seed: seed).run(steps: steps)
        }
    }
}

private final class ModelRun {
    let seed: UInt64
    var random: SeededGenerator
    var model = ReferenceModel()
    let store = MVCCStore()
    /// Odd lease IDs exist, even ones do not.
    let executor = KVExecutor(leaseExists: { $0 % 2 == 1 })
    var step = 0
    var failed = false

    init(seed: UInt64) {
        self.seed = seed
        self.random = SeededGenerator(seed: seed)
    }

    func run(steps: Int) {
        for index in 0..<steps where !failed {
            step = index
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30: checkPut()
            case 30..<42: checkDeleteRange()
            case 42..<66: checkTxn()
            case 66..<98: checkRange()
            default: checkCompact()
            }
            expectEqual(store.currentRevision, model.revision, "current revision")
            expectEqual(store.keyCount, model.liveKeyCount, "key count")
            if index % 100 == 99 { checkWholeHistory() }
        }
        if !failed { checkWholeHistory() }
    }

    // MARK: - Reporting

    func expect(_ condition: Bool, _ what: @autoclosure () -> String, line: UInt = #line) {
        guard !condition, !failed else { return }
        failed = true
        XCTFail("seed \(seed) step \(step): \(what())", line: line)
    }

    func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String, line: UInt = #line) {
        expect(actual == expected, "\(what): got \(actual), expected \(expected)", line: line)
    }

    // MARK: - Random inputs

    func randomKey() -> [UInt8] {
        (0..<Int.random(in: 1...2, using: &random)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0..<5, using: &random) }
    }

    func randomValue() -> [UInt8] {
        (0..<Int.random(in: 0...3, using: &random)).map { _ in UInt8(ascii: "x") + UInt8.random(in: 0..<3, using: &random) }
    }

    /// A single key, a `[start, end)` range (possibly empty), or (unless `finite`) a from-key or
    /// all-keys range.
    func randomRange(finite: Bool = false) -> (start: [UInt8], end: [UInt8]) {
        switch Int.random(in: 0..<20, using: &random) {
        case 0..<10: return (randomKey(), [])
        case 10..<16: return (randomKey(), randomKey())
        case 16..<19 where !finite: return (randomKey(), [0])
        case 19 where !finite: return ([0], [0])
        default: return (randomKey(), [])
        }
    }

    func randomPut() -> PutRequest {
        var request = PutRequest()
        request.key = randomKey()
        request.ignoreValue = Int.random(in: 0..<10, using: &random) == 0
        request.value = request.ignoreValue ? [] : randomValue()
        request.lease = Int.random(in: 0..<5, using: &random) == 0 ? Int64.random(in: 1...4, using: &random) : 0
        request.prevKV = Bool.random(using: &random)
        return request
    }

    func randomDelete(finite: Bool) -> DeleteRangeRequest {
        var request = DeleteRangeRequest()
        (request.key, request.rangeEnd) = randomRange(finite: finite)
        request.prevKV = Bool.random(using: &random)
        return request
    }

    /// `historical` allows a revision other than 0.
    func randomRangeRequest(historical: Bool) -> RangeRequest {
        var request = RangeRequest()
        (request.key, request.rangeEnd) = randomRange()
        if historical, Int.random(in: 0..<10, using: &random) < 6 {
            request.revision = Int64.random(in: (model.compactedAt - 1)...(model.revision + 1), using: &random)
        }
        request.limit = Int.random(in: 0..<3, using: &random) == 0 ? Int64.random(in: 1...4, using: &random) : 0
        request.countOnly = Int.random(in: 0..<10, using: &random) == 0
        request.keysOnly = Int.random(in: 0..<10, using: &random) == 0
        return request
    }

    func randomCompare() -> Compare {
        var compare = Compare()
        (compare.key, compare.rangeEnd) = randomRange(finite: true)
        compare.result = CompareResult(rawValue: Int32.random(in: 0...3, using: &random))
        compare.target = CompareTarget(rawValue: Int32.random(in: 0...4, using: &random))
        let number = Int64.random(in: 0...(model.revision + 1), using: &random)
        switch compare.target {
        case .value: compare.targetUnion = .value(randomValue())
        case .version: compare.targetUnion = .version(number % 4)
        case .create: compare.targetUnion = .createRevision(number)
        case .mod: compare.targetUnion = .modRevision(number)
        default: compare.targetUnion = .lease(number % 4)
        }
        return compare
    }

    func randomOps(nesting: Bool) -> [RequestOp] {
        (0..<Int.random(in: 0...3, using: &random)).map { _ in
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<8: return RequestOp(.put(randomPut()))
            case 8..<13: return RequestOp(.deleteRange(randomDelete(finite: true)))
            case 13..<18: return RequestOp(.range(randomRangeRequest(historical: true)))
            default:
                guard nesting else { return RequestOp(.range(randomRangeRequest(historical: false))) }
                return RequestOp(.txn(randomTxn(nesting: false)))
            }
        }
    }

    func randomTxn(nesting: Bool) -> TxnRequest {
        var request = TxnRequest()
        request.compare = (0..<Int.random(in: 0...2, using: &random)).map { _ in randomCompare() }
        request.success = randomOps(nesting: nesting)
        request.failure = randomOps(nesting: nesting)
        return request
    }

    // MARK: - Operations

    func checkPut() {
        let request = randomPut()
        let previous = model.value(of: request.key, at: model.revision)
        var expectedError: EtcdError?
        if request.lease != 0, request.lease % 2 == 0 {
            expectedError = .leaseNotFound
        } else if request.ignoreValue, previous == nil {
            expectedError = .keyNotFound
        }
        do {
            try executor.validate(request)
            let result = try executor.put(request, in: store)
            expect(expectedError == nil, "put \(request) succeeded, expected \(expectedError!)")
            let stored = model.putValue(
                request.key, value: request.ignoreValue ? previous!.value : request.value, lease: request.lease, over: previous)
            model.commit([(request.key, stored)])
            expectEqual(result.value.header, .revision(model.revision), "put header")
            expectEqual(result.value.prevKV, request.prevKV ? previous : nil, "put prev_kv")
            expectEqual(result.events, [.put(stored, previous: previous)], "put events")
        } catch {
            expectEqual(Optional(error), expectedError, "put \(request) error")
        }
    }

    func checkDeleteRange() {
        // Mostly bounded: a from-key delete empties much of the key space.
        let request = randomDelete(finite: Int.random(in: 0..<5, using: &random) != 0)
        let doomed = model.range(start: request.key, end: request.rangeEnd, at: model.revision)
        let result = executor.deleteRange(request, in: store)
        model.commit(doomed.map { ($0.key, nil) })
        expectEqual(result.value.deleted, Int64(doomed.count), "deleted count")
        expectEqual(result.value.prevKVs, request.prevKV ? doomed : [], "delete prev_kvs")
        expectEqual(result.value.header, .revision(model.revision), "delete header")
        expectEqual(result.events, doomed.map { tombstoneEvent($0, at: model.revision) }, "delete events")
    }

    func checkRange() {
        let request = randomRangeRequest(historical: true)
        do {
            let expected = try modelRange(request, readRevision: model.revision) { key, revision in
                model.value(of: key, at: revision)
            }
            let actual = try executor.range(request, in: store)
            expectEqual(actual, expected, "range \(request)")
        } catch {
            do {
                _ = try executor.range(request, in: store)
                expect(false, "range \(request) succeeded, expected \(error)")
            } catch let actual {
                expectEqual(actual, error, "range \(request) error")
            }
        }
    }

    func checkCompact() {
        // Mostly a little behind the current revision, so history stays to read; sometimes
        // anywhere, to reach the error cases.
        let revision = Int.random(in: 0..<4, using: &random) == 0
            ? Int64.random(in: (model.compactedAt - 1)...(model.revision + 1), using: &random)
            : max(0, model.revision - Int64.random(in: 0...150, using: &random))
        var expectedError: EtcdError?
        if revision <= model.compactedAt { expectedError = .compacted } else if revision > model.revision { expectedError = .futureRevision }
        let storedBefore = store.log.count
        do {
            var request = CompactionRequest()
            request.revision = revision
            let (response, result) = try executor.compact(request, in: store)
            expect(expectedError == nil, "compact at \(revision) succeeded, expected \(expectedError!)")
            model.compactedAt = revision
            expectEqual(response.header, .revision(model.revision), "compact header")
            expectEqual(result.removedRevisions.count, storedBefore - store.log.count, "removed count")
            expect(result.removedRevisions.allSatisfy { $0.main <= revision }, "removed a revision above \(revision)")
            expectEqual(result.removedRevisions, result.removedRevisions.sorted(), "removed revisions in order")
            expectEqual(store.log.count, model.expectedRetainedChanges, "changes kept after compacting at \(revision)")
        } catch {
            expectEqual(Optional(error), expectedError, "compact at \(revision) error")
        }
    }

    func checkTxn() {
        let request = randomTxn(nesting: true)
        let hasNested = (request.success + request.failure).contains { if case .txn = $0.request { return true } else { return false } }
        do {
            try executor.validate(request)
            expect(hasNested || !(hasDuplicate(request.success) || hasDuplicate(request.failure)), "txn \(request) passed validation with a duplicate key")
        } catch {
            expectEqual(error, .duplicateKey, "txn validation")
            expect(hasNested || hasDuplicate(request.success) || hasDuplicate(request.failure), "txn \(request) rejected without a duplicate key")
            return
        }

        let expected = modelTxn(request)
        do {
            let result = try executor.txn(request, in: store)
            guard case .success(let (response, events)) = expected else {
                expect(false, "txn \(request) succeeded, expected \(expected)")
                return
            }
            model.commit(events.map { ($0.kv!.key, $0.type == .put ? $0.kv : nil) })
            expectEqual(result.value, response, "txn \(request) response")
            expectEqual(result.events, events, "txn events")
            expectEqual(result.revision, model.revision, "txn revision")
        } catch {
            guard case .failure(let expectedError) = expected else {
                expect(false, "txn \(request) failed with \(error), expected success")
                return
            }
            expectEqual(error, expectedError, "txn \(request) error")
        }
    }

    /// Reads of every key at sampled revisions, plus the index's shape and size.
    func checkWholeHistory() {
        let floor = max(model.compactedAt, 1)
        var revisions: Set<Int64> = [floor, model.revision]
        for _ in 0..<12 { revisions.insert(Int64.random(in: floor...model.revision, using: &random)) }
        for revision in revisions.sorted() {
            let actual = try? store.range(KeyRange(key: [0], rangeEnd: [0]), options: RangeOptions(revision: revision)).kvs
            expectEqual(actual, model.range(start: [0], end: [0], at: revision), "all keys at \(revision)")
        }
        if floor > 1 {
            expect((try? store.range(.key([UInt8(ascii: "a")]), options: RangeOptions(revision: floor - 1))) == nil,
                   "read below the compacted revision \(floor) succeeded")
        }
        store.index.checkInvariants()
        let indexed = model.history.values.filter { entries in
            model.compactedAt < 0 || entries.contains { $0.revision > model.compactedAt }
                || entries.last(where: { $0.revision <= model.compactedAt })?.kv != nil
        }.count
        expectEqual(store.index.count, indexed, "indexed keys")
    }

    // MARK: - Model semantics

    func tombstoneEvent(_ previous: KeyValue, at revision: Int64) -> Event {
        .delete(KeyValue(key: previous.key, createRevision: 0, modRevision: revision, version: 0, value: [], lease: 0),
                previous: previous)
    }

    /// Range without sorting or revision bounds (those are covered by table tests).
    func modelRange(
        _ request: RangeRequest, readRevision: Int64, lookup: ([UInt8], Int64) -> KeyValue?
    ) throws(EtcdError) -> RangeResponse {
        if request.revision > readRevision { throw .futureRevision }
        let revision = request.revision <= 0 ? readRevision : request.revision
        if revision < model.compactedAt { throw .compacted }
        let keys = Set(model.history.keys).union(pendingKeys)
            .filter { ReferenceModel.contains($0, start: request.key, end: request.rangeEnd) }
            .sorted(by: ReferenceModel.less)
        let all = keys.compactMap { lookup($0, revision) }
        var response = RangeResponse()
        response.header = .revision(readRevision)
        response.count = Int64(all.count)
        if !request.countOnly {
            response.kvs = request.limit > 0 ? Array(all.prefix(Int(request.limit))) : all
            response.more = request.limit > 0 && all.count > request.limit
            if request.keysOnly { for i in response.kvs.indices { response.kvs[i].value = [] } }
        }
        return response
    }

    /// Keys a transaction being modelled has changed, and their newest values.
    var pending: [[UInt8]: KeyValue?] = [:]
    var pendingEvents: [Event] = []
    var pendingKeys: Set<[UInt8]> { Set(pending.keys) }

    func latest(_ key: [UInt8]) -> KeyValue? {
        if let entry = pending[key] { return entry }
        return model.value(of: key, at: model.revision)
    }

    func modelCompare(_ compare: Compare) -> Bool {
        let kvs = model.range(start: compare.key, end: compare.rangeEnd, at: model.revision)
        if kvs.isEmpty { return compare.target != .value && modelCompare(compare, KeyValue()) }
        return kvs.allSatisfy { modelCompare(compare, $0) }
    }

    func modelCompare(_ compare: Compare, _ kv: KeyValue) -> Bool {
        let ordering: Int
        switch compare.targetUnion {
        case .value(let value)?:
            ordering = kv.value == value ? 0 : (ReferenceModel.less(kv.value, value) ? -1 : 1)
        case .version(let n)?: ordering = kv.version == n ? 0 : (kv.version < n ? -1 : 1)
        case .createRevision(let n)?: ordering = kv.createRevision == n ? 0 : (kv.createRevision < n ? -1 : 1)
        case .modRevision(let n)?: ordering = kv.modRevision == n ? 0 : (kv.modRevision < n ? -1 : 1)
        case .lease(let n)?: ordering = kv.lease == n ? 0 : (kv.lease < n ? -1 : 1)
        case nil: ordering = 0
        }
        switch compare.result {
        case .equal: return ordering == 0
        case .notEqual: return ordering != 0
        case .greater: return ordering > 0
        default: return ordering < 0
        }
    }

    /// The ops a transaction runs (nested ones flattened), with every compare decided first.
    func chosenOps(_ request: TxnRequest) -> [RequestOp] {
        let ops = request.compare.allSatisfy(modelCompare) ? request.success : request.failure
        return ops.flatMap { op -> [RequestOp] in
            if case .txn(let nested) = op.request { return chosenOps(nested) }
            return [op]
        }
    }

    func modelTxn(_ request: TxnRequest) -> Result<(TxnResponse, [Event]), EtcdError> {
        let ops = chosenOps(request)
        for op in ops {
            guard case .put(let put) = op.request else { continue }
            if put.ignoreValue, model.value(of: put.key, at: model.revision) == nil { return .failure(.keyNotFound) }
            if put.lease != 0, put.lease % 2 == 0 { return .failure(.leaseNotFound) }
        }
        for op in ops {
            guard case .range(let range) = op.request, range.revision != 0 else { continue }
            if range.revision > model.revision { return .failure(.futureRevision) }
            if range.revision < model.compactedAt { return .failure(.compacted) }
        }
        pending = [:]
        pendingEvents = []
        defer { pending = [:]; pendingEvents = [] }
        var response = applyModelTxn(request)
        response.header = .revision(pendingEvents.isEmpty ? model.revision : model.revision + 1)
        return .success((response, pendingEvents))
    }

    func applyModelTxn(_ request: TxnRequest) -> TxnResponse {
        var response = TxnResponse()
        response.header = ResponseHeader()
        response.succeeded = request.compare.allSatisfy(modelCompare)
        var readRevision: Int64 { pendingEvents.isEmpty ? model.revision : model.revision + 1 }
        for op in response.succeeded ? request.success : request.failure {
            switch op.request {
            case .range(let range):
                let result = try! modelRange(range, readRevision: readRevision) { key, revision in
                    revision == readRevision ? latest(key) : model.value(of: key, at: revision)
                }
                response.responses.append(ResponseOp(.range(result)))
            case .put(let put):
                let previous = latest(put.key)
                let stored = model.putValue(put.key, value: put.ignoreValue ? previous!.value : put.value, lease: put.lease, over: previous)
                pending[put.key] = .some(stored)
                pendingEvents.append(.put(stored, previous: previous))
                var result = PutResponse()
                result.header = .revision(readRevision)
                result.prevKV = put.prevKV ? previous : nil
                response.responses.append(ResponseOp(.put(result)))
            case .deleteRange(let delete):
                let doomed = (Set(model.history.keys).union(pendingKeys))
                    .filter { ReferenceModel.contains($0, start: delete.key, end: delete.rangeEnd) }
                    .sorted(by: ReferenceModel.less)
                    .compactMap { latest($0) }
                for kv in doomed {
                    pending[kv.key] = .some(nil)
                    pendingEvents.append(tombstoneEvent(kv, at: model.revision + 1))
                }
                var result = DeleteRangeResponse()
                result.header = .revision(readRevision)
                result.deleted = Int64(doomed.count)
                result.prevKVs = delete.prevKV ? doomed : []
                response.responses.append(ResponseOp(.deleteRange(result)))
            case .txn(let nested):
                response.responses.append(ResponseOp(.txn(applyModelTxn(nested))))
            case nil:
                preconditionFailure("random transactions have no empty ops")
            }
        }
        return response
    }

    /// A branch without nested transactions puts a key twice or puts a key one of its deletes
    /// covers (random transactions have no from-key deletes).
    func hasDuplicate(_ ops: [RequestOp]) -> Bool {
        var puts: [[UInt8]] = []
        var deletes: [(start: [UInt8], end: [UInt8])] = []
        for op in ops {
            if case .put(let put) = op.request { puts.append(put.key) }
            if case .deleteRange(let delete) = op.request { deletes.append((delete.key, delete.rangeEnd)) }
        }
        return Set(puts).count != puts.count
            || puts.contains { key in deletes.contains { ReferenceModel.contains(key, start: $0.start, end: $0.end) } }
    }
}
