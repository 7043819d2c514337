import EtcdWire
@testable import MVCC
import XCTest

/// A store restored from its snapshot is the same store: same index and log, same reads at every
/// retained revision, same watch history, same hash, same snapshot bytes, and the same answers
/// to every write that follows.
final class SnapshotRoundTripTests: XCTestCase {
    func testEmptyStore() throws {
        let store = MVCCStore()
        let restored = try MVCCStore(restoringFrom: store.snapshotBytes())
        assertSame(restored, as: store, "empty store")
        XCTAssertEqual(restored.currentRevision, 1)
        XCTAssertEqual(restored.compactMainRevision, -1)
    }

    func testRandomHistoriesSurviveARoundTrip() throws {
        for seed: UInt64 in 1...4 {
            let store = MVCCStore()
            var workload = SnapshotWorkload(seed: seed)
            var reached = Set<String>()
            for step in 1...1200 {
                _ = workload.step(store)
                if step == 1 || step % 150 == 0 {
                    try checkRoundTrip(of: store, continuingWith: workload, "seed \(seed) step \(step)")
                    reached.formUnion(features(of: store))
                }
            }
            XCTAssertEqual(reached, features, "seed \(seed): the histories checked reached what the format has to carry")
        }
    }

    private let features: Set<String> = ["compacted", "leases", "keys put again", "compacted creations", "transactions"]

    private func features(of store: MVCCStore) -> Set<String> {
        let indexes = store.indexEntries.map(\.1)
        var found = Set<String>()
        if store.compactMainRevision > 0 { found.insert("compacted") }
        if !store.leasedKeys().isEmpty { found.insert("leases") }
        if indexes.contains(where: { $0.generations.count > 2 }) { found.insert("keys put again") }
        if indexes.contains(where: { $0.generations[0].created < $0.generations[0].revisions[0] }) { found.insert("compacted creations") }
        if store.log.changes.contains(where: { $0.revision.sub > 0 }) { found.insert("transactions") }
        return found
    }

    func testStoreCompactedAtItsCurrentRevision() throws {
        let store = MVCCStore()
        var workload = SnapshotWorkload(seed: 9)
        for _ in 0..<200 { _ = workload.step(store) }
        try store.compact(at: store.currentRevision)
        try checkRoundTrip(of: store, continuingWith: workload, "compacted at the head")
    }

    func testStoreWhoseKeysAreAllDeleted() throws {
        let store = MVCCStore()
        let executor = KVExecutor()
        for key in ["a", "b", "c"] { _ = try executor.put(putRequest(key, "v"), in: store) }
        _ = executor.deleteRange(deleteRequest("a", end: "z"), in: store)
        try checkRoundTrip(of: store, continuingWith: SnapshotWorkload(seed: 3), "all deleted")
        try store.compact(at: store.currentRevision - 1)
        try checkRoundTrip(of: store, continuingWith: SnapshotWorkload(seed: 4), "all deleted, compacted")
    }

    func testWriteSnapshotStreamsTheSameBytesInChunks() {
        let store = MVCCStore()
        var workload = SnapshotWorkload(seed: 5)
        for _ in 0..<400 { _ = workload.step(store) }
        var chunks: [[UInt8]] = []
        store.writeSnapshot(chunkSize: 256) { chunks.append($0) }
        XCTAssertGreaterThan(chunks.count, 3)
        XCTAssertTrue(chunks.dropLast().allSatisfy { $0.count >= 256 && $0.count < 256 + 512 }, "chunks stay near the asked size")
        XCTAssertEqual(chunks.flatMap { $0 }, store.snapshotBytes())
    }

    func testMeasuredSnapshotIsWrittenWithoutMeasuringAgain() {
        let store = MVCCStore()
        var workload = SnapshotWorkload(seed: 7)
        for _ in 0..<400 { _ = workload.step(store) }
        let size = store.measureSnapshot()
        var bytes: [UInt8] = []
        store.writeSnapshot(chunkSize: 256, measured: size) { bytes += $0 }
        XCTAssertEqual(size.byteCount, bytes.count)
        XCTAssertEqual(bytes, store.snapshotBytes())
        XCTAssertEqual(MVCCStore().measureSnapshot().byteCount, MVCCStore().snapshotBytes().count)
    }

    func testWriteSnapshotStopsWhenTheSinkThrows() {
        struct DiskFull: Error {}
        let store = MVCCStore()
        var workload = SnapshotWorkload(seed: 6)
        for _ in 0..<400 { _ = workload.step(store) }
        var calls = 0
        XCTAssertThrowsError(try store.writeSnapshot(chunkSize: 128) { (_: [UInt8]) throws(DiskFull) in
            calls += 1
            if calls == 2 { throw DiskFull() }
        }) { XCTAssertTrue($0 is DiskFull) }
        XCTAssertEqual(calls, 2)
    }

    func testLeasedKeysListsLiveKeysWithALease() throws {
        let store = MVCCStore()
        let executor = KVExecutor(leaseExists: { _ in true })
        _ = try executor.put(putRequest("a", "1", lease: 7), in: store)
        _ = try executor.put(putRequest("b", "1"), in: store)
        _ = try executor.put(putRequest("c", "1", lease: 9), in: store)
        _ = try executor.put(putRequest("a", "2", lease: 8), in: store)
        _ = executor.deleteRange(deleteRequest("c"), in: store)
        _ = try executor.put(putRequest("d", "1", lease: 9), in: store)
        let leased = try MVCCStore(restoringFrom: store.snapshotBytes()).leasedKeys()
        XCTAssertEqual(leased.map(\.key), [bytes("a"), bytes("d")])
        XCTAssertEqual(leased.map(\.lease), [8, 9])
    }

    // MARK: - Checks

    /// Restores `store` from its snapshot, compares everything, then runs the same further
    /// writes on both.
    private func checkRoundTrip(of store: MVCCStore, continuingWith workload: SnapshotWorkload, _ context: String) throws {
        let snapshot = store.snapshotBytes()
        let restored = try MVCCStore(restoringFrom: snapshot)
        assertSame(restored, as: store, context)
        XCTAssertEqual(restored.snapshotBytes(), snapshot, "\(context): a restored store writes the same bytes")

        var original = workload
        var copy = workload
        for step in 0..<60 {
            let expected = original.step(store)
            let actual = copy.step(restored)
            guard actual == expected else {
                return XCTFail("\(context): write \(step) after restoring: \(actual), expected \(expected)")
            }
        }
        assertSame(restored, as: store, "\(context), after more writes")
    }

    private func assertSame(_ restored: MVCCStore, as store: MVCCStore, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        func check<T: Equatable>(_ actual: T, _ expected: T, _ what: String) -> Bool {
            if actual == expected { return true }
            XCTFail("\(context): \(what): \(actual), expected \(expected)", file: file, line: line)
            return false
        }
        /// Compares element by element, to name the first difference rather than print both.
        func checkEach<T: Equatable>(_ actual: [T], _ expected: [T], _ what: String) -> Bool {
            guard check(actual.count, expected.count, "number of \(what)") else { return false }
            return zip(actual, expected).enumerated().allSatisfy { check($1.0, $1.1, "\(what) #\($0)") }
        }
        guard check(restored.currentRevision, store.currentRevision, "current revision"),
              check(restored.compactMainRevision, store.compactMainRevision, "compacted revision"),
              check(restored.keyCount, store.keyCount, "key count"),
              check(restored.approximateBytes, store.approximateBytes, "approximate bytes"),
              checkEach(restored.log.changes, store.log.changes, "stored changes"),
              checkEach(restored.indexEntries.map(\.0), store.indexEntries.map(\.0), "indexed keys"),
              checkEach(restored.indexEntries.map(\.1), store.indexEntries.map(\.1), "key indexes")
        else { return }
        restored.index.checkInvariants()

        let everything = KeyRange(key: [0], rangeEnd: [0])
        let keys = store.indexEntries.map(\.0)
        let floor = max(store.compactMainRevision, 1)
        for revision in (floor - 1)...(store.currentRevision + 1) {
            let options = RangeOptions(revision: revision)
            guard check(Result { try restored.range(everything, options: options) }.mapError { $0 as! EtcdError },
                        Result { try store.range(everything, options: options) }.mapError { $0 as! EtcdError },
                        "everything at \(revision)"),
                  check((try? restored.hashKV(upTo: revision))?.hash, (try? store.hashKV(upTo: revision))?.hash, "hash at \(revision)")
            else { return }
        }
        var starts = Array(store.compactMainRevision...(store.currentRevision + 1))
        if starts.count > 120 { starts = stride(from: 0, to: starts.count, by: starts.count / 120 + 1).map { starts[$0] } }
        for start in starts {
            for withPrevKV in [false, true] {
                func history(_ of: MVCCStore, _ range: KeyRange, maxEvents: Int = .max) -> Result<HistoryPage, EtcdError> {
                    Result { try of.events(in: range, from: start, through: of.currentRevision, maxEvents: maxEvents, withPrevKV: withPrevKV) }
                        .mapError { $0 as! EtcdError }
                }
                guard check(history(restored, everything), history(store, everything), "history from \(start)"),
                      check(history(restored, everything, maxEvents: 3), history(store, everything, maxEvents: 3), "paged history from \(start)")
                else { return }
                for key in keys.prefix(4) {
                    guard check(history(restored, .key(key)), history(store, .key(key)), "history of \(key) from \(start)") else { return }
                }
            }
        }
    }
}
