import Checksum
import EtcdWire
@testable import MVCC

/// Random writes for the snapshot tests: puts (some with leases, some keeping the value), single
/// and range deletes, transactions of several writes, and compactions a little behind the head.
/// The same seed makes the same requests, so two stores in the same state given the same
/// workload must answer alike.
struct SnapshotWorkload {
    /// What one write answered: its response, events and revision, or its error.
    struct Outcome: Hashable {
        var response: AnyHashable?
        var events: [Event] = []
        var revision: Int64
        var error: EtcdError?
    }

    private var random: SeededGenerator
    /// Odd lease IDs exist; some are large, so their encoding takes every byte.
    private let executor = KVExecutor(leaseExists: { $0 % 2 != 0 })
    private static let leases: [Int64] = [1, 3, 0x7FFF_FFFF_FFFF_FFF1, 0x1234_5678_9ABC_DEF1]

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    mutating func key() -> [UInt8] {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return [0x00, UInt8.random(in: 0...3, using: &random)]
        case 1: return [0xFF, 0xFE, UInt8.random(in: 0...3, using: &random)]
        default: return Array("k\(Int.random(in: 0..<30, using: &random))".utf8)
        }
    }

    mutating func value() -> [UInt8] {
        let length = Int.random(in: 0..<12, using: &random) == 0 ? Int.random(in: 128...400, using: &random) : Int.random(in: 0...12, using: &random)
        return (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    mutating func put() -> PutRequest {
        var request = PutRequest()
        request.key = key()
        request.ignoreValue = Int.random(in: 0..<15, using: &random) == 0
        request.value = request.ignoreValue ? [] : value()
        if Int.random(in: 0..<4, using: &random) == 0 { request.lease = Self.leases.randomElement(using: &random)! }
        return request
    }

    mutating func delete() -> DeleteRangeRequest {
        var request = DeleteRangeRequest()
        request.key = key()
        if Int.random(in: 0..<4, using: &random) == 0 { request.rangeEnd = Array("k\(Int.random(in: 0..<30, using: &random))".utf8) }
        return request
    }

    /// Distinct keys, so the transaction passes validation.
    mutating func txn() -> TxnRequest {
        var ops: [RequestOp] = []
        var used = Set<[UInt8]>()
        for _ in 0..<Int.random(in: 1...5, using: &random) {
            var request = put()
            guard used.insert(request.key).inserted else { continue }
            request.ignoreValue = false
            if request.value.isEmpty { request.value = value() }
            ops.append(RequestOp(.put(request)))
        }
        var request = TxnRequest()
        request.success = ops
        if Bool.random(using: &random) {
            var delete = DeleteRangeRequest()
            delete.key = key()
            if !used.contains(delete.key) { request.failure = [RequestOp(.deleteRange(delete))] }
            var compare = Compare()
            compare.key = key()
            compare.target = .version
            compare.result = .greater
            compare.targetUnion = .version(1)
            request.compare = [compare]
        }
        return request
    }

    /// Makes one random write on `store`.
    mutating func step(_ store: MVCCStore) -> Outcome {
        do throws(EtcdError) {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<50:
                let result = try executor.put(put(), in: store)
                return Outcome(response: result.value, events: result.events, revision: result.revision)
            case 50..<70:
                let result = executor.deleteRange(delete(), in: store)
                return Outcome(response: result.value, events: result.events, revision: result.revision)
            case 70..<96:
                let result = try executor.txn(txn(), in: store)
                return Outcome(response: result.value, events: result.events, revision: result.revision)
            default:
                var request = CompactionRequest()
                request.revision = max(0, store.currentRevision - Int64.random(in: 0...40, using: &random))
                let (response, result) = try executor.compact(request, in: store)
                return Outcome(response: [AnyHashable(response), AnyHashable(result)], revision: store.currentRevision)
            }
        } catch {
            return Outcome(revision: store.currentRevision, error: error)
        }
    }
}

extension MVCCStore {
    /// Every key and its index, in key order.
    var indexEntries: [([UInt8], KeyIndex)] {
        var entries: [([UInt8], KeyIndex)] = []
        index.forEach(from: []) { key, keyIndex in
            entries.append((key, keyIndex))
            return true
        }
        return entries
    }
}

/// A snapshot with its length field and checksum made right again after `change`, so the
/// decoder's content checks, not the checksum, must catch what `change` did.
func resealed(_ snapshot: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
    var bytes = Array(snapshot.dropLast(4))
    change(&bytes)
    let total = UInt64(bytes.count + 4)
    for index in 0..<8 where bytes.count > 8 + index { bytes[8 + index] = UInt8(truncatingIfNeeded: total >> (8 * UInt64(index))) }
    var crc = CRC32C()
    crc.add(bytes)
    for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: crc.value >> UInt32(shift))) }
    return bytes
}
