import Checksum
import EtcdWire
@testable import MVCC
import XCTest

/// `MVCCStore.hashKV`: etcd 3.4's HashKV, the hash members compare to find a diverged store.
final class HashKVTests: XCTestCase {
    private let executor = KVExecutor(leaseExists: { $0 == 0x1234 })

    /// The history the expected values below were computed from, by etcd 3.4.23's own
    /// `mvcc.store.HashByRev` over a bolt backend given the same writes.
    private func etcdHistory() throws -> MVCCStore {
        let store = MVCCStore()
        _ = try executor.put(putRequest("a", "1"), in: store)                   // 2
        _ = try executor.put(putRequest("b", "2", lease: 0x1234), in: store)    // 3
        _ = try executor.put(putRequest("a", "3"), in: store)                   // 4
        _ = try executor.txn(txnRequest(success: [                              // 5.0, 5.1, 5.2
            .put(putRequest("c", "4")), .put(putRequest("d", "5")), .delete(deleteRequest("b")),
        ]), in: store)
        _ = executor.deleteRange(deleteRequest("a"), in: store)                 // 6
        _ = try executor.put(putRequest("a", "6"), in: store)                   // 7
        _ = try executor.put(putRequest("e", ""), in: store)                    // 8
        return store
    }

    func testMatchesEtcdBeforeCompaction() throws {
        let store = try etcdHistory()
        let expected: [Int64: UInt32] = [
            0: 0xCF0A_58BF, 1: 0x40A4_756D, 2: 0x9A39_6DD7, 3: 0xE7BE_D011, 4: 0x7E2C_F49B,
            5: 0x9A28_AA46, 6: 0x2865_3D35, 7: 0x0459_DF92, 8: 0xCF0A_58BF, -1: 0x40A4_756D,
        ]
        for (revision, hash) in expected {
            let result = try store.hashKV(upTo: revision)
            XCTAssertEqual(result.hash, hash, "hash up to \(revision)")
            XCTAssertEqual(result.compactRevision, -1, "etcd reports -1 before any compaction")
        }
    }

    func testMatchesEtcdAfterCompaction() throws {
        let store = try etcdHistory()
        try store.compact(at: 5)
        _ = try executor.put(putRequest("c", "7"), in: store)                   // 9
        let expected: [Int64: UInt32] = [0: 0xA768_3E19, 6: 0xDF9E_4DD9, 7: 0xBEBE_6166, 8: 0x89A4_24B2, 9: 0xA768_3E19]
        for (revision, hash) in expected {
            XCTAssertEqual(try store.hashKV(upTo: revision).hash, hash, "hash up to \(revision)")
            XCTAssertEqual(try store.hashKV(upTo: revision).compactRevision, 5)
        }
        XCTAssertThrows(.compacted) { try store.hashKV(upTo: 5) }
        XCTAssertThrows(.futureRevision) { try store.hashKV(upTo: 10) }
    }

    /// When a compaction at the hashed revision would keep nothing, etcd hashes every stored
    /// change at or below the compaction instead of none of them.
    func testMatchesEtcdWhenNothingWouldBeKept() throws {
        let store = MVCCStore()
        _ = try executor.put(putRequest("x", "1"), in: store)                   // 2
        _ = executor.deleteRange(deleteRequest("x"), in: store)                 // 3
        try store.compact(at: 2)
        XCTAssertEqual(try store.hashKV(upTo: 0).hash, 0x9965_839A)
        XCTAssertEqual(try store.hashKV(upTo: 3).hash, 0x9965_839A)
    }

    func testSameHistorySameHashDifferentValueDifferentHash() throws {
        func build(_ seed: UInt64, changing: Bool = false) -> MVCCStore {
            let store = MVCCStore()
            var workload = SnapshotWorkload(seed: seed)
            for step in 0..<500 {
                _ = workload.step(store)
                if changing, step == 250 { _ = try! executor.put(putRequest("k1", "different"), in: store) }
            }
            return store
        }
        let first = build(21)
        let second = build(21)
        let restored = try MVCCStore(restoringFrom: first.snapshotBytes())
        for revision in first.compactMainRevision + 1...first.currentRevision {
            let hash = try first.hashKV(upTo: revision)
            XCTAssertEqual(try second.hashKV(upTo: revision).hash, hash.hash, "same history, revision \(revision)")
            XCTAssertEqual(try restored.hashKV(upTo: revision).hash, hash.hash, "restored, revision \(revision)")
        }
        let changed = build(21, changing: true)
        XCTAssertNotEqual(try changed.hashKV(upTo: 0).hash, try first.hashKV(upTo: 0).hash)
    }

    func testCRC32CCheckValue() {
        var crc = CRC32C()
        crc.add(Array("123456789".utf8))
        XCTAssertEqual(crc.value, 0xE306_9283)
        // Added in pieces of every length, the slicing-by-8 path and the byte path agree.
        let data = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var whole = CRC32C()
        whole.add(data)
        for split in 0...data.count {
            var pieces = CRC32C()
            pieces.add(Array(data[..<split]))
            pieces.add(Array(data[split...]))
            XCTAssertEqual(pieces.value, whole.value, "split at \(split)")
        }
    }
}
