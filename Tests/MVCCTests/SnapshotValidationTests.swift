import EtcdWire
@testable import MVCC
import XCTest

/// Snapshots written by hand (`SnapshotBuilder`) with a valid checksum that break one rule of
/// the format each: the decoder names the rule.
final class SnapshotValidationTests: XCTestCase {
    private func assertRefused(_ builder: SnapshotBuilder, saying text: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try MVCCStore(restoringFrom: builder.bytes)
            XCTFail("accepted; expected an error saying \"\(text)\"", file: file, line: line)
        } catch {
            XCTAssertEqual(error.kind, .malformed, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "\(error) does not say \"\(text)\"", file: file, line: line)
        }
    }

    func testHandWrittenSnapshotsRestore() throws {
        let plain = try MVCCStore(restoringFrom: SnapshotBuilder(current: 3).key("a", puts: [(2, 0), (3, 0)]).bytes)
        XCTAssertEqual(try plain.range(.key(bytes("a"))).kvs, [kv("a", "v", create: 2, mod: 3, version: 2)])

        // Compacted at 3: "a" keeps its put at 3 (version 2, created at 2) and "b" follows at 4.
        let compacted = try MVCCStore(restoringFrom: SnapshotBuilder(current: 4, compacted: 3)
            .key("a", created: (2, 0), version: 2, puts: [(3, 0)])
            .key("b", puts: [(4, 0)]).bytes)
        XCTAssertEqual(try compacted.range(.key(bytes("a")), options: RangeOptions(revision: 3)).kvs, [kv("a", "v", create: 2, mod: 3, version: 2)])
        XCTAssertThrows(.compacted) { try compacted.range(.key(bytes("a")), options: RangeOptions(revision: 2)) }
        XCTAssertEqual(compacted.keyCount, 2)
    }

    func testKeysMustBeInOrderAndDistinct() {
        assertRefused(SnapshotBuilder(current: 3).key("b", puts: [(2, 0)]).key("a", puts: [(3, 0)]), saying: "does not sort after")
        assertRefused(SnapshotBuilder(current: 3).key("a", puts: [(2, 0)]).key("a", puts: [(3, 0)]), saying: "does not sort after")
    }

    func testRevisionsMustBeUniqueAndHistoryWhole() {
        assertRefused(SnapshotBuilder(current: 2).key("a", puts: [(2, 0)]).key("b", puts: [(2, 0)]), saying: "held by two keys")
        assertRefused(SnapshotBuilder(current: 4).key("a", puts: [(2, 0), (4, 0)]), saying: "not whole: 4.0 follows 2.0")
        assertRefused(SnapshotBuilder(current: 2).key("a", puts: [(2, 1)]), saying: "not whole: 2.1 follows nothing")
        assertRefused(SnapshotBuilder(current: 3).key("a", puts: [(2, 0)]), saying: "the current revision is 3")
        assertRefused(SnapshotBuilder(current: 2).key("a", puts: [(3, 0)]), saying: "revision is 3, outside 2...2")
        assertRefused(SnapshotBuilder(current: 3).key("a", puts: [(3, 0), (2, 0)]), saying: "is not after 3.0")
    }

    func testOnlyCompactionMayDropTheStartOfAGeneration() {
        assertRefused(SnapshotBuilder(current: 3).key("a", created: (2, 0), version: 2, puts: [(3, 0)]), saying: "not what compaction leaves")
        assertRefused(SnapshotBuilder(current: 2).key("a", version: 5, puts: [(2, 0)]), saying: "has version 5")
        assertRefused(SnapshotBuilder(current: 4, compacted: 3).key("a", created: (2, 0), version: 3, puts: [(2, 0), (3, 0), (4, 0)]),
                      saying: "both at or below the compaction")
    }

    func testGenerationsHaveTheirShape() {
        assertRefused(SnapshotBuilder(current: 2).key("a", puts: [], tombstone: (2, 0)), saying: "an ended generation holds a put and its tombstone")
        // A key whose only generation is empty.
        assertRefused(SnapshotBuilder(current: 1).key(length: [1], key: [0x61], rest: [1, 0]), saying: "holds no revision")
    }

    func testNumbersMustBeInTheirShortestForm() {
        assertRefused(SnapshotBuilder(current: 1).key(length: [0x81, 0x00], key: [0x61], rest: [1, 0]), saying: "shortest encoding")
        assertRefused(SnapshotBuilder(current: 1).key(length: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], key: []),
                      saying: "does not fit in 64 bits")
    }

    func testNothingFollowsTheLastSection() throws {
        let extra = resealed(SnapshotBuilder(current: 2).key("a", puts: [(2, 0)]).bytes) { $0.append(0) }
        XCTAssertThrowsError(try MVCCStore(restoringFrom: extra)) { error in
            XCTAssertTrue("\(error)".contains("1 bytes between the last section and the checksum"), "\(error)")
        }
    }

    func testRevisionsSectionIsChecked() {
        assertRefused(SnapshotBuilder(current: 0), saying: "current revision 0 is below 1")
        assertRefused(SnapshotBuilder(current: 5, compacted: 6), saying: "compacted revision 6 is outside -1...5")
        var counts = SnapshotBuilder(current: 2).key("a", puts: [(2, 0)])
        counts.changeCount = 2
        assertRefused(counts, saying: "the revisions section says 2")
        counts.changeCount = 1
        counts.keyCount = 0
        assertRefused(counts, saying: "unread bytes at the end of the keys section")
    }
}
