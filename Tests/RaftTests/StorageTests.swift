import XCTest
@testable import Raft

/// `MemoryStorage`, the unstable tail and the combined log view.
final class StorageTests: XCTestCase {
    /// Entries 4...8 of term 4 after a compaction at index 3 (term 3).
    private func compactedStorage() throws -> MemoryStorage {
        let storage = MemoryStorage()
        try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 3, term: 3, confState: ConfState(voters: [1]))))
        storage.append(entries(from: 4, terms: [4, 4, 4, 4, 4]))
        return storage
    }

    func testTermNamesCompactedAndUnavailableIndexes() throws {
        let storage = try compactedStorage()
        // (index, term or error)
        let table: [(UInt64, Result<UInt64, StorageError>)] = [
            (2, .failure(.compacted)), (3, .success(3)), (4, .success(4)), (8, .success(4)), (9, .failure(.unavailable)),
        ]
        for (index, expected) in table {
            XCTAssertEqual(Result(catching: { () throws(StorageError) in try storage.term(at: index) }), expected, "index \(index)")
        }
        XCTAssertEqual(storage.firstIndex, 4)
        XCTAssertEqual(storage.lastIndex, 8)
    }

    func testEntriesHonourBoundsAndByteLimit() throws {
        let storage = try compactedStorage()
        XCTAssertThrowsError(try storage.entries(from: 3, to: 5, maxBytes: .max)) {
            XCTAssertEqual($0 as? StorageError, .compacted)
        }
        XCTAssertThrowsError(try storage.entries(from: 4, to: 10, maxBytes: .max)) {
            XCTAssertEqual($0 as? StorageError, .unavailable)
        }
        XCTAssertEqual(try storage.entries(from: 4, to: 9, maxBytes: .max).map(\.index), [4, 5, 6, 7, 8])
        let size = entries(from: 4, terms: [4])[0].sizeInBytes
        XCTAssertEqual(try storage.entries(from: 4, to: 9, maxBytes: 2 * size).count, 2)
        XCTAssertEqual(try storage.entries(from: 4, to: 9, maxBytes: 0).count, 1, "never empty")
    }

    func testAppendReplacesAConflictingTailAndSkipsCompactedEntries() throws {
        let storage = try compactedStorage()
        storage.append(entries(from: 6, terms: [5]))
        XCTAssertEqual(storage.lastIndex, 6)
        XCTAssertEqual(try storage.term(at: 6), 5)
        storage.append(entries(from: 2, terms: [2, 3, 4, 4, 5, 6]))
        XCTAssertEqual(storage.lastIndex, 7)
        XCTAssertEqual(try storage.term(at: 7), 6)
    }

    func testSnapshotThenCompact() throws {
        let storage = try compactedStorage()
        let snapshot = try storage.createSnapshot(at: 6, confState: ConfState(voters: [1, 2]), data: [42])
        XCTAssertEqual(snapshot.metadata, SnapshotMetadata(index: 6, term: 4, confState: ConfState(voters: [1, 2])))
        XCTAssertEqual(storage.firstIndex, 4, "creating a snapshot discards nothing")
        try storage.compact(through: 5)
        XCTAssertEqual(storage.firstIndex, 6)
        XCTAssertEqual(try storage.term(at: 5), 4)
        XCTAssertThrowsError(try storage.compact(through: 5)) { XCTAssertEqual($0 as? StorageError, .compacted) }
        XCTAssertThrowsError(try storage.createSnapshot(at: 6, confState: ConfState(), data: [])) {
            XCTAssertEqual($0 as? StorageError, .snapshotOutOfDate)
        }
        XCTAssertEqual(storage.initialState().confState, ConfState(voters: [1, 2]))
    }

    func testCompactingBeyondTheSnapshotAsksForANewerOne() throws {
        let storage = try compactedStorage()
        XCTAssertEqual(try storage.snapshot().metadata.index, 3)
        try storage.compact(through: 6)
        XCTAssertEqual(storage.firstIndex, 7)
        XCTAssertEqual(try storage.term(at: 6), 4)
        XCTAssertFalse(storage.needsSnapshot, "nobody asked yet")
        // The snapshot at 3 would leave a follower without entries 4...6.
        XCTAssertThrowsError(try storage.snapshot()) { XCTAssertEqual($0 as? StorageError, .snapshotTemporarilyUnavailable) }
        XCTAssertTrue(storage.needsSnapshot)
        try storage.createSnapshot(at: 7, confState: ConfState(voters: [1]), data: [])
        XCTAssertFalse(storage.needsSnapshot)
        XCTAssertEqual(try storage.snapshot().metadata, SnapshotMetadata(index: 7, term: 4, confState: ConfState(voters: [1])))
    }

    func testApplyingAnOlderSnapshotIsRefused() throws {
        let storage = try compactedStorage()
        XCTAssertThrowsError(try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 2, term: 2)))) {
            XCTAssertEqual($0 as? StorageError, .snapshotOutOfDate)
        }
    }

    func testUnstableTruncateAndAppend() {
        // (existing terms at 5..., new entries (index, terms), resulting offset, resulting terms)
        let table: [([UInt64], UInt64, [UInt64], UInt64, [UInt64])] = [
            ([1, 1], 7, [2], 5, [1, 1, 2]),       // follows on
            ([1, 1], 6, [2], 5, [1, 2]),          // replaces the tail
            ([1, 1], 5, [2, 2, 2], 5, [2, 2, 2]), // replaces everything
            ([1, 1], 3, [2], 3, [2]),             // starts before the unstable part
        ]
        for (existing, index, newTerms, offset, terms) in table {
            var unstable = Unstable(offset: 5)
            unstable.truncateAndAppend(entries(from: 5, terms: existing))
            unstable.truncateAndAppend(entries(from: index, terms: newTerms))
            XCTAssertEqual(unstable.offset, offset)
            XCTAssertEqual(unstable.entries.map(\.term), terms)
        }
    }

    func testUnstableKeepsEntriesOverwrittenWhilePersisting() {
        var unstable = Unstable(offset: 5)
        unstable.truncateAndAppend(entries(from: 5, terms: [1, 1]))
        unstable.truncateAndAppend(entries(from: 6, terms: [2]))
        unstable.markPersisted(through: 6, term: 1)
        XCTAssertEqual(unstable.entries.map(\.term), [1, 2], "the persisted entry at 6 was replaced meanwhile")
        unstable.markPersisted(through: 6, term: 2)
        XCTAssertEqual(unstable.entries, [])
        XCTAssertEqual(unstable.offset, 7)
    }

    func testLogReadsAcrossStorageAndUnstable() throws {
        var log = RaftLog(storage: try compactedStorage(), maxApplyBytes: .max)
        log.append(entries(from: 9, terms: [5, 5]))
        XCTAssertEqual(log.firstIndex, 4)
        XCTAssertEqual(log.lastIndex, 10)
        XCTAssertEqual(log.lastTerm, 5)
        XCTAssertEqual(try log.slice(7, 11, maxBytes: .max).map(\.index), [7, 8, 9, 10])
        XCTAssertEqual(log.term(at: 3), 3)
        XCTAssertNil(log.term(at: 2))
        XCTAssertNil(log.term(at: 11))
        XCTAssertThrowsError(try log.slice(3, 5, maxBytes: .max)) { XCTAssertEqual($0 as? StorageError, .compacted) }
    }

    func testLastIndexWithTermFindsTheBacktrackingPoint() throws {
        // Terms at 4...8 are 4; 9 and 10 are 5 and 6.
        var log = RaftLog(storage: try compactedStorage(), maxApplyBytes: .max)
        log.append(entries(from: 9, terms: [5, 6]))
        // (term at most, at or below, expected index)
        let table: [(UInt64, UInt64, UInt64)] = [(6, 10, 10), (5, 10, 9), (4, 10, 8), (4, 6, 6), (3, 10, 3), (9, 20, 10)]
        for (term, index, expected) in table {
            XCTAssertEqual(log.lastIndexWithTerm(atMost: term, atOrBelow: index).index, expected, "(\(term), \(index))")
        }
    }

    func testInflightsFillFreeAndWrap() {
        var inflights = Inflights(capacity: 3)
        for index in [10, 20, 30] as [UInt64] { inflights.add(index) }
        XCTAssertTrue(inflights.isFull)
        inflights.free(through: 15)
        XCTAssertEqual(inflights.count, 2)
        inflights.add(40)  // Takes the slot 10 left, at the front of the ring.
        XCTAssertTrue(inflights.isFull)
        inflights.freeFirst()
        XCTAssertEqual(inflights.count, 2)
        inflights.free(through: 40)
        XCTAssertEqual(inflights.count, 0)
        inflights.add(50)
        inflights.free(through: 49)
        XCTAssertEqual(inflights.count, 1)
    }
}
