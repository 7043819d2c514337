import EtcdWire
@testable import MVCC
import XCTest

/// The chunked revision log against a plain array of the same changes, with chunks small enough
/// that every operation crosses chunk boundaries.
final class RevisionLogTests: XCTestCase {
    /// Changes at 2.0, 3.0, 3.1, 4.0, … : puts with growing values and odd leases, every
    /// fourth a tombstone.
    func sampleChanges(_ count: Int) -> [StoredChange] {
        var changes: [StoredChange] = []
        var revision = Revision(main: 2)
        for number in 0..<count {
            let key = Array("key\(number % 5)".utf8)
            if number % 4 == 3 {
                let tombstone = KeyValue(key: key, createRevision: 0, modRevision: revision.main, version: 0, value: [], lease: 0)
                changes.append(StoredChange(revision: revision, kv: tombstone, isTombstone: true))
            } else {
                let kv = KeyValue(
                    key: key, createRevision: Int64(number) * 1000, modRevision: revision.main, version: Int64(number + 1),
                    value: Array(repeating: UInt8(number), count: number * 3), lease: number % 3 == 0 ? -7 : Int64(number) << 40)
                changes.append(StoredChange(revision: revision, kv: kv, isTombstone: false))
            }
            revision = number % 3 == 1 ? Revision(main: revision.main, sub: revision.sub + 1) : Revision(main: revision.main + 1)
        }
        return changes
    }

    func smallLog(_ changes: [StoredChange]) -> RevisionLog {
        var log = RevisionLog(recordsPerChunk: 3, bytesPerChunk: 64)
        for change in changes { log.append(change) }
        return log
    }

    func checkLog(_ log: RevisionLog, holds expected: [StoredChange], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(log.changes, expected, file: file, line: line)
        XCTAssertEqual(log.count, expected.count, file: file, line: line)
        XCTAssertEqual(log.payloadBytes, expected.reduce(0) { $0 + $1.payloadBytes }, file: file, line: line)
        for change in expected {
            XCTAssertEqual(log.change(at: change.revision), change, file: file, line: line)
        }
        let lastMain = expected.last?.revision.main ?? 0
        for main in 0...(lastMain + 1) {
            XCTAssertEqual(log.changes(fromMain: main).map(\.change), expected.filter { $0.revision.main >= main },
                           "from \(main)", file: file, line: line)
            XCTAssertEqual(log.changes(fromMain: main).map(\.key), expected.filter { $0.revision.main >= main }.map(\.kv.key),
                           "keys from \(main)", file: file, line: line)
        }
    }

    func testChangesAcrossChunksReadBackAsWritten() {
        let changes = sampleChanges(40)
        checkLog(smallLog(changes), holds: changes)
        XCTAssertNil(smallLog(changes).change(at: Revision(main: 2, sub: 5)))
        XCTAssertNil(smallLog(changes).change(at: Revision(main: 1000)))
        checkLog(RevisionLog(), holds: [])
    }

    func testAChangeBiggerThanAChunkGetsAChunkOfItsOwn() {
        var changes = sampleChanges(3)
        changes[1].kv.value = Array(repeating: 9, count: 500)
        checkLog(smallLog(changes), holds: changes)
    }

    func testRemoveLastAcrossAChunkBoundary() {
        let changes = sampleChanges(7)
        var log = smallLog(changes)
        for kept in stride(from: 6, through: 0, by: -1) {
            log.removeLast(changes[kept].revision)
            checkLog(log, holds: Array(changes[..<kept]))
        }
        for change in changes { log.append(change) }
        checkLog(log, holds: changes)
    }

    func testCompactionKeepsExactlyWhatItShould() {
        let changes = sampleChanges(60)
        var random = SeededGenerator(seed: 42)
        for round in 0..<40 {
            var log = smallLog(changes)
            var expected = changes
            var floor: Int64 = 0
            for _ in 0..<3 {
                floor = Int64.random(in: floor...(changes.last!.revision.main + 1), using: &random)
                let keep = Set(expected.filter { _ in Bool.random(using: &random) }.map(\.revision))
                let removed = log.compact(at: floor, keeping: keep)
                let gone = expected.filter { $0.revision.main <= floor && !keep.contains($0.revision) }
                XCTAssertEqual(removed, gone.map(\.revision), "round \(round) at \(floor)")
                expected.removeAll { $0.revision.main <= floor && !keep.contains($0.revision) }
                checkLog(log, holds: expected)
            }
            // Appends continue after the compacted chunks.
            let next = Revision(main: changes.last!.revision.main + 1)
            var more = changes[0]
            more.revision = next
            more.kv.modRevision = next.main
            log.append(more)
            checkLog(log, holds: expected + [more])
        }
    }

    func testCompactionThatRemovesEverything() {
        let changes = sampleChanges(10)
        var log = smallLog(changes)
        XCTAssertEqual(log.compact(at: 100, keeping: []), changes.map(\.revision))
        checkLog(log, holds: [])
        log.append(changes[0])
        checkLog(log, holds: [changes[0]])
    }
}
