import Checksum
import Raft
import XCTest
@testable import WAL

/// The byte layout of docs/storage-format.md, pinned down.
final class RecordFormatTests: XCTestCase {
    func testHardStateRecordBytes() {
        var encoder = RecordEncoder(lastChecksum: 0xA1B2_C3D4)
        encoder.append(.hardState(HardState(term: 2, vote: 3, commit: 0x0102)))
        let bytes = encoder.bytes
        XCTAssertEqual(bytes.count, 40, "16-byte header + 24-byte payload, already a multiple of 8")
        XCTAssertEqual(Array(bytes[0..<8]), [24, 0, 0, 0, 3, 0, 0, 0], "length 24, type 3, three zero bytes")
        XCTAssertEqual(Array(bytes[8..<12]), [0xD4, 0xC3, 0xB2, 0xA1], "previous checksum, little-endian")
        XCTAssertEqual(Array(bytes[16..<24]), [2, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[24..<32]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[32..<40]), [2, 1, 0, 0, 0, 0, 0, 0])
        let expectedChecksum = CRC32C.update(crc32c(Array(bytes[0..<12])), bytes[16...])
        XCTAssertEqual(bytes.loadLittleEndian(UInt32.self, at: 12), expectedChecksum)
        XCTAssertEqual(encoder.lastChecksum, expectedChecksum)
    }

    func testEntryRecordIsPaddedToEightBytes() {
        for dataCount in 0..<20 {
            var encoder = RecordEncoder(lastChecksum: 0)
            let entry = Entry(term: 5, index: 9, type: .confChange, data: Array(repeating: 0xEE, count: dataCount))
            encoder.append(.entry(entry))
            let payloadCount = 17 + dataCount
            XCTAssertEqual(encoder.bytes.count % 8, 0)
            XCTAssertEqual(encoder.bytes.count, 16 + payloadCount + (8 - payloadCount % 8) % 8)
            XCTAssertTrue(encoder.bytes[(16 + payloadCount)...].allSatisfy { $0 == 0 }, "padding is zeros")
            XCTAssertEqual(encoder.bytes[32], 1, "entry type byte after term and index")
            guard case let .verified(frame) = RecordFrame.verify(encoder.bytes, at: 0) else {
                return XCTFail("an encoded frame must verify")
            }
            XCTAssertEqual(LogRecord(type: frame.type, payload: encoder.bytes[frame.payload]), .entry(entry))
        }
    }

    func testRecordsChainThroughPreviousChecksum() {
        var encoder = RecordEncoder(lastChecksum: 0)
        encoder.append(.crcCarry)
        let carryChecksum = encoder.lastChecksum
        encoder.append(.snapshotMarker(SnapshotMarker(index: 7, term: 2)))
        XCTAssertEqual(encoder.bytes.count, 16 + 32)
        XCTAssertEqual(encoder.bytes.loadLittleEndian(UInt32.self, at: 16 + 8), carryChecksum)
    }

    func testZeroHeaderIsNeverARecord() {
        XCTAssertEqual(verificationProblem([UInt8](repeating: 0, count: 64)), .unknownType(0))
    }

    func testSegmentAndSnapshotNames() {
        XCTAssertEqual(SegmentName(sequence: 1, firstIndex: 0x123).description, "0000000000000001-0000000000000123.wal")
        XCTAssertEqual(SegmentName(parsing: "0000000000000001-0000000000000123.wal"), SegmentName(sequence: 1, firstIndex: 0x123))
        XCTAssertEqual(SegmentName(parsing: "ffffffffffffffff-0000000000000000.wal")?.sequence, UInt64.max)
        for bad in ["0000000000000001-0000000000000123.wal.tmp", "000000000000001-0000000000000123.wal",
                    "0000000000000001-00000000000001A3.wal", "0000000000000001_0000000000000123.wal", "x.wal"] {
            XCTAssertNil(SegmentName(parsing: bad), bad)
        }
        XCTAssertEqual(SnapshotFileName(term: 2, index: 0xA00).description, "0000000000000002-0000000000000a00.snap")
        XCTAssertEqual(SnapshotFileName(parsing: "0000000000000002-0000000000000a00.snap"), SnapshotFileName(term: 2, index: 0xA00))
        XCTAssertNil(SnapshotFileName(parsing: "0000000000000002-0000000000000a00.snap.broken"))
    }

    func testSnapshotFileRoundTripAndLayout() throws {
        let snapshot = Snapshot(
            metadata: SnapshotMetadata(index: 0x10, term: 3, confState: ConfState(voters: [1, 2], learners: [])),
            data: [9, 8, 7]
        )
        var header = SnapshotFile.header(for: snapshot.metadata, dataCount: snapshot.data.count)
        XCTAssertEqual(Array(header[0..<8]), [0x73, 0x6E, 0x61, 0x70, 1, 0, 0, 0], "\"snap\", version 1")
        XCTAssertEqual(header.count, 12 + 8 + 8 + 4 + 16 + 4 + 8)
        header.storeLittleEndian(crc32c(Array(header[12...]) + snapshot.data), at: 8)
        let file = header + snapshot.data
        let name = SnapshotFileName(term: 3, index: 0x10)
        XCTAssertEqual(try SnapshotFile.decode(file, name: name, label: "x"), snapshot)
        XCTAssertThrowsWALError(
            .corruptSnapshot(file: "x", problem: "holds index 16, term 3, which its name does not"),
            try SnapshotFile.decode(file, name: SnapshotFileName(term: 3, index: 0x11), label: "x")
        )
        XCTAssertThrowsWALError(
            .corruptSnapshot(file: "x", problem: "crc mismatch"),
            try SnapshotFile.decode(Array(file.dropLast()) + [0], name: name, label: "x")
        )
        XCTAssertThrowsWALError(
            .corruptSnapshot(file: "x", problem: "file of 0 bytes is too short"),
            try SnapshotFile.decode([], name: name, label: "x")
        )
    }

    private func verificationProblem(_ bytes: [UInt8]) -> RecordProblem? {
        if case let .rejected(problem) = RecordFrame.verify(bytes, at: 0) { return problem }
        return nil
    }
}
