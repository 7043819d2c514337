import Raft
import XCTest
@testable import WAL

final class RetentionTests: XCTestCase {
    /// Writes `segmentCount` segments of ten-entry batches and returns the WAL.
    private func writeSegments(_ fileSystem: MemoryFileSystem, count segmentCount: Int, maxWALs: Int) throws -> WAL {
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(512, maxWALs: maxWALs))
        while wal.segmentFileNames.count < segmentCount {
            let first = wal.lastIndex + 1
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: first - 1), entries: makeEntries(first...(first + 9), term: 1))
            try wal.sync()
        }
        return wal
    }

    func testReleaseRemovesCoveredSegmentsDownToMaxWALs() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeSegments(fileSystem, count: 8, maxWALs: 3)
        let names = wal.segmentFileNames.compactMap(SegmentName.init(parsing:))
        // A snapshot inside segment 6: segments 0–5 are covered, 6 and 7 are needed.
        let snapshotIndex = names[6].firstIndex + 2
        try wal.saveSnapshotMarker(SnapshotMarker(index: snapshotIndex, term: 1))
        try wal.sync()
        try wal.releaseTo(snapshotIndex)
        XCTAssertEqual(wal.segmentFileNames, names.suffix(3).map(\.description))
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: "/data/member/wal").sorted(), wal.segmentFileNames)

        let replay = try openWAL(fileSystem, at: SnapshotMarker(index: snapshotIndex, term: 1), options: smallSegments(512, maxWALs: 3)).replay
        XCTAssertEqual(replay.entries.first?.index, snapshotIndex + 1)
        XCTAssertEqual(replay.entries.last?.index, wal.lastIndex)
        XCTAssertThrowsError(try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem)) { error in
            guard case .snapshotBeforeLog = error as? WALError else { return XCTFail("\(error)") }
        }
    }

    func testSegmentsStillNeededAreKeptWhateverMaxWALsSays() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeSegments(fileSystem, count: 6, maxWALs: 1)
        let names = wal.segmentFileNames.compactMap(SegmentName.init(parsing:))
        let snapshotIndex = names[2].firstIndex
        try wal.saveSnapshotMarker(SnapshotMarker(index: snapshotIndex, term: 1))
        try wal.sync()
        try wal.releaseTo(snapshotIndex)
        XCTAssertEqual(wal.segmentFileNames, names[2...].map(\.description), "replay from the snapshot starts in segment 2")
        XCTAssertNoThrow(try openWAL(fileSystem, at: SnapshotMarker(index: snapshotIndex, term: 1)))
    }

    func testMaxWALsZeroKeepsEverySegment() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeSegments(fileSystem, count: 6, maxWALs: 0)
        let names = wal.segmentFileNames
        try wal.saveSnapshotMarker(SnapshotMarker(index: wal.lastIndex, term: 1))
        try wal.sync()
        try wal.releaseTo(wal.lastIndex)
        XCTAssertEqual(wal.segmentFileNames, names)
    }

    func testFewerSegmentsThanMaxWALsAreKept() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeSegments(fileSystem, count: 4, maxWALs: 5)
        let names = wal.segmentFileNames
        try wal.saveSnapshotMarker(SnapshotMarker(index: wal.lastIndex, term: 1))
        try wal.sync()
        try wal.releaseTo(wal.lastIndex)
        XCTAssertEqual(wal.segmentFileNames, names)
    }

    /// After a restart the same retention applies to the segments found on disk.
    func testReleaseAfterReopenRemovesSegmentsFromBeforeTheRestart() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeSegments(fileSystem, count: 6, maxWALs: 2)
        try wal.saveSnapshotMarker(SnapshotMarker(index: wal.lastIndex, term: 1))
        try wal.sync()
        let marker = SnapshotMarker(index: wal.lastIndex, term: 1)
        let (reopened, _) = try openWAL(fileSystem, at: marker, options: smallSegments(512, maxWALs: 2))
        try reopened.releaseTo(marker.index)
        XCTAssertEqual(reopened.segmentFileNames, Array(wal.segmentFileNames.suffix(2)))
    }

    func testSnapshotMarkersAreThoseTheCommitIndexCovers() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(400))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 20), entries: makeEntries(1...30, term: 1))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 10, term: 1))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 20, term: 1))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 25, term: 1))
        try wal.sync()
        XCTAssertEqual(try WAL.snapshotMarkers(dataDirectory: testDataDirectory, fileSystem: fileSystem),
                       [.initial, SnapshotMarker(index: 10, term: 1), SnapshotMarker(index: 20, term: 1)])
    }
}
