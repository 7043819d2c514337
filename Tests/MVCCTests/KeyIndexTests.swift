@testable import MVCC
import XCTest

/// Table tests from etcd's documented key index example and a longer history in the same style.
final class KeyIndexTests: XCTestCase {
    enum Change { case put(Revision), tombstone(Revision) }

    func index(_ changes: [Change]) -> KeyIndex {
        var index = KeyIndex()
        for change in changes {
            switch change {
            case .put(let revision): index.put(revision)
            case .tombstone(let revision): index.tombstone(revision)
            }
        }
        return index
    }

    func shape(_ index: KeyIndex) -> [[Revision]] { index.generations.map(\.revisions) }

    /// put(1.0) put(2.0) tombstone(3.0) put(4.0) tombstone(5.0)
    var documented: KeyIndex {
        index([.put(rev(1)), .put(rev(2)), .tombstone(rev(3)), .put(rev(4)), .tombstone(rev(5))])
    }

    func testDocumentedExampleGenerations() {
        XCTAssertEqual(shape(documented), [[rev(1), rev(2), rev(3)], [rev(4), rev(5)], []])
        XCTAssertFalse(documented.isLive)
        XCTAssertFalse(documented.isEmpty)
    }

    func testDocumentedExampleLookups() {
        let table: [(Int64, KeyIndex.Found?)] = [
            (0, nil),
            (1, .init(modified: rev(1), created: rev(1), version: 1)),
            (2, .init(modified: rev(2), created: rev(1), version: 2)),
            (3, nil),
            (4, .init(modified: rev(4), created: rev(4), version: 1)),
            (5, nil),
            (6, nil),
        ]
        for (at, expected) in table {
            XCTAssertEqual(documented.lookup(at: at), expected, "lookup at \(at)")
        }
    }

    func testDocumentedExampleCompactions() {
        let table: [(at: Int64, kept: Revision?, left: [[Revision]])] = [
            (1, rev(1), [[rev(1), rev(2), rev(3)], [rev(4), rev(5)], []]),
            (2, rev(2), [[rev(2), rev(3)], [rev(4), rev(5)], []]),
            (3, nil, [[rev(4), rev(5)], []]),
            (4, rev(4), [[rev(4), rev(5)], []]),
            (5, nil, [[]]),
            (6, nil, [[]]),
        ]
        for row in table {
            var index = documented
            XCTAssertEqual(index.compact(at: row.at), row.kept, "compact at \(row.at)")
            XCTAssertEqual(shape(index), row.left, "compact at \(row.at)")
            XCTAssertEqual(index.isEmpty, row.left == [[]], "compact at \(row.at)")
        }
    }

    func testCompactionKeepsVersionsOfRemainingRevisions() {
        var index = documented
        _ = index.compact(at: 2)
        XCTAssertEqual(index.lookup(at: 2), .init(modified: rev(2), created: rev(1), version: 2))
        XCTAssertEqual(index.lookup(at: 4), .init(modified: rev(4), created: rev(4), version: 1))
    }

    func testSuccessiveCompactions() {
        var index = documented
        XCTAssertEqual(index.compact(at: 2), rev(2))
        XCTAssertEqual(index.compact(at: 4), rev(4))
        XCTAssertEqual(shape(index), [[rev(4), rev(5)], []])
        XCTAssertNil(index.compact(at: 5))
        XCTAssertTrue(index.isEmpty)
    }

    /// put 2, 4; tombstone 6; put 8, 10; tombstone 12; put 14.0, 14.1, 16 (live).
    func testLongHistoryCompactionTable() {
        let history = index([
            .put(rev(2)), .put(rev(4)), .tombstone(rev(6)),
            .put(rev(8)), .put(rev(10)), .tombstone(rev(12)),
            .put(rev(14)), .put(rev(14, 1)), .put(rev(16)),
        ])
        let g0 = [rev(2), rev(4), rev(6)]
        let g1 = [rev(8), rev(10), rev(12)]
        let g2 = [rev(14), rev(14, 1), rev(16)]
        let table: [(at: Int64, kept: Revision?, left: [[Revision]])] = [
            (1, nil, [g0, g1, g2]),
            (2, rev(2), [g0, g1, g2]),
            (3, rev(2), [g0, g1, g2]),
            (4, rev(4), [[rev(4), rev(6)], g1, g2]),
            (5, rev(4), [[rev(4), rev(6)], g1, g2]),
            (6, nil, [g1, g2]),
            (7, nil, [g1, g2]),
            (8, rev(8), [g1, g2]),
            (10, rev(10), [[rev(10), rev(12)], g2]),
            (11, rev(10), [[rev(10), rev(12)], g2]),
            (12, nil, [g2]),
            (13, nil, [g2]),
            (14, rev(14, 1), [[rev(14, 1), rev(16)]]),
            (15, rev(14, 1), [[rev(14, 1), rev(16)]]),
            (16, rev(16), [[rev(16)]]),
            (17, rev(16), [[rev(16)]]),
        ]
        for row in table {
            var index = history
            XCTAssertEqual(index.compact(at: row.at), row.kept, "compact at \(row.at)")
            XCTAssertEqual(shape(index), row.left, "compact at \(row.at)")
        }
        XCTAssertEqual(history.lookup(at: 14), .init(modified: rev(14, 1), created: rev(14), version: 2))
        XCTAssertEqual(history.lookup(at: 17), .init(modified: rev(16), created: rev(14), version: 3))
        XCTAssertNil(history.lookup(at: 12))
        XCTAssertEqual(history.lookup(at: 11), .init(modified: rev(10), created: rev(8), version: 2))
    }

    func testPutAndTombstoneInOneRevision() {
        let index = index([.put(rev(3)), .put(rev(5)), .tombstone(rev(5, 1))])
        XCTAssertNil(index.lookup(at: 5))
        XCTAssertEqual(index.lookup(at: 4), .init(modified: rev(3), created: rev(3), version: 1))
    }

    func testUndoRestoresThePreviousHistory() {
        let before = documented
        var index = before
        index.put(rev(7))
        index.undo(rev(7), wasTombstone: false)
        XCTAssertEqual(index, before)

        var live = self.index([.put(rev(1))])
        let liveBefore = live
        live.tombstone(rev(2))
        live.undo(rev(2), wasTombstone: true)
        XCTAssertEqual(live, liveBefore)

        var fresh = KeyIndex()
        fresh.put(rev(9))
        fresh.undo(rev(9), wasTombstone: false)
        XCTAssertTrue(fresh.isEmpty)
        XCTAssertEqual(fresh, KeyIndex())
    }
}
