import Raft
import XCTest
@testable import WAL

final class WALRoundTripTests: XCTestCase {
    func testFreshLogReplaysMetadataAndNothingElse() throws {
        let fileSystem = MemoryFileSystem()
        XCTAssertFalse(try WAL.exists(dataDirectory: testDataDirectory, fileSystem: fileSystem))
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        XCTAssertTrue(try WAL.exists(dataDirectory: testDataDirectory, fileSystem: fileSystem))
        XCTAssertEqual(wal.segmentFileNames, ["0000000000000000-0000000000000000.wal"])
        XCTAssertEqual(wal.lastIndex, 0)

        let (_, replay) = try openWAL(fileSystem)
        XCTAssertEqual(replay, WALReplay(metadata: testMetadata, hardState: HardState(), entries: [], tailRepair: nil))
    }

    func testRoundTripAcrossSegmentCuts() throws {
        try checkRoundTripAcrossSegmentCuts(MemoryFileSystem(), dataDirectory: testDataDirectory)
    }

    func testSegmentsAreNamedBySequenceAndTheIndexAfterTheCut() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(512))
        var cutAfter: [UInt64] = []
        for index in stride(from: UInt64(1), through: 100, by: 4) {
            let before = wal.segmentFileNames.count
            try wal.save(hardState: HardState(term: 1, vote: 0, commit: index), entries: makeEntries(index...(index + 3), term: 1))
            try wal.sync()
            if wal.segmentFileNames.count > before { cutAfter.append(index + 3) }
        }
        XCTAssertFalse(cutAfter.isEmpty)
        let expected = ["0000000000000000-0000000000000000.wal"] + cutAfter.enumerated().map { sequence, lastIndex in
            SegmentName(sequence: UInt64(sequence + 1), firstIndex: lastIndex + 1).description
        }
        XCTAssertEqual(wal.segmentFileNames, expected)
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: "/data/member/wal").sorted(), expected)
    }

    func testOverwrittenIndicesReplayAsLastWritten() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1 << 20))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 3), entries: makeEntries(1...10, term: 1))
        try wal.save(hardState: HardState(term: 2, vote: 2, commit: 3), entries: makeEntries(6...8, term: 2))
        try wal.sync()
        try wal.save(hardState: HardState(), entries: makeEntries(4...4, term: 3))
        try wal.sync()
        XCTAssertEqual(wal.lastIndex, 4)

        let (reopened, replay) = try openWAL(fileSystem, options: smallSegments(1 << 20))
        XCTAssertEqual(replay.entries, makeEntries(1...3, term: 1) + makeEntries(4...4, term: 3))
        XCTAssertEqual(replay.hardState, HardState(term: 2, vote: 2, commit: 3))
        XCTAssertEqual(reopened.lastIndex, 4)
    }

    func testOpeningAtASnapshotReturnsOnlyTheEntriesAfterIt() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(700))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 40), entries: makeEntries(1...40, term: 1))
        try wal.sync()
        try wal.saveSnapshotMarker(SnapshotMarker(index: 30, term: 1))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 45), entries: makeEntries(41...50, term: 1))
        try wal.sync()

        let (_, replay) = try openWAL(fileSystem, at: SnapshotMarker(index: 30, term: 1), options: smallSegments(700))
        XCTAssertEqual(replay.entries, makeEntries(31...50, term: 1))
        XCTAssertEqual(replay.hardState, HardState(term: 1, vote: 1, commit: 45))
        XCTAssertEqual(try WAL.snapshotMarkers(dataDirectory: testDataDirectory, fileSystem: fileSystem), [.initial, SnapshotMarker(index: 30, term: 1)])
    }

    func testFollowerSnapshotBeyondItsLogContinuesAfterTheSnapshot() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(600))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 5), entries: makeEntries(1...5, term: 1))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 20, term: 3))
        try wal.save(hardState: HardState(term: 3, vote: 0, commit: 20), entries: [])
        try wal.sync()
        XCTAssertEqual(wal.lastIndex, 20)
        for index in stride(from: UInt64(21), through: 60, by: 5) {
            try wal.save(hardState: HardState(), entries: makeEntries(index...(index + 4), term: 3))
            try wal.sync()
        }
        XCTAssertGreaterThan(wal.segmentFileNames.count, 1)

        let (reopened, replay) = try openWAL(fileSystem, at: SnapshotMarker(index: 20, term: 3), options: smallSegments(600))
        XCTAssertEqual(replay.entries, makeEntries(21...60, term: 3))
        XCTAssertEqual(reopened.lastIndex, 60)
        // Replaying from before that snapshot cannot bridge the gap it left.
        XCTAssertThrowsError(try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem, options: smallSegments(600))) { error in
            guard case let .indexGap(_, _, expectedAtMost, found) = error as? WALError else { return XCTFail("\(error)") }
            XCTAssertEqual(expectedAtMost, 6)
            XCTAssertEqual(found, 21)
        }
    }

    func testOpeningAtAMarkerThatIsNotThereIsRefused() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 10), entries: makeEntries(1...10, term: 1))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 8, term: 1))
        try wal.sync()

        XCTAssertThrowsWALError(.snapshotMarkerNotFound(SnapshotMarker(index: 9, term: 1)),
                                try WAL.open(dataDirectory: testDataDirectory, at: SnapshotMarker(index: 9, term: 1), fileSystem: fileSystem))
        XCTAssertThrowsError(try WAL.open(dataDirectory: testDataDirectory, at: SnapshotMarker(index: 8, term: 2), fileSystem: fileSystem)) { error in
            guard case let .snapshotTermMismatch(_, _, requested, foundTerm) = error as? WALError else { return XCTFail("\(error)") }
            XCTAssertEqual(requested, SnapshotMarker(index: 8, term: 2))
            XCTAssertEqual(foundTerm, 1)
        }
    }

    func testCreateRefusesAnExistingLogAndOpenRefusesAMissingOne() throws {
        let fileSystem = MemoryFileSystem()
        XCTAssertThrowsWALError(.notFound(directory: "/data/member/wal"), try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem))
        _ = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        XCTAssertThrowsWALError(.alreadyExists(directory: "/data/member/wal"),
                                try WAL.create(dataDirectory: testDataDirectory, metadata: [], fileSystem: fileSystem))
    }

    func testEveryNewSegmentBeginsWithCarryMetadataAndHardState() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        for (position, name) in wal.segmentFileNames.enumerated() {
            let bytes = try fileSystem.readFile(atPath: "/data/member/wal/" + name)
            let types = frameOffsets(bytes).prefix(3).map { bytes[$0 + RecordFrame.typeOffset] }
            let third: RecordType = position == 0 ? .snapshotMarker : .hardState
            XCTAssertEqual(types, [RecordType.crcCarry.rawValue, RecordType.metadata.rawValue, third.rawValue], name)
        }
    }

    func testEmptyHardStateMeansUnchanged() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        try wal.save(hardState: HardState(term: 4, vote: 2, commit: 1), entries: makeEntries(1...1, term: 4))
        try wal.save(hardState: HardState(), entries: makeEntries(2...2, term: 4))
        try wal.sync()
        let (_, replay) = try openWAL(fileSystem)
        XCTAssertEqual(replay.hardState, HardState(term: 4, vote: 2, commit: 1))
    }

    func testOversizedEntryIsRefusedWithoutHarm() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        let huge = Entry(term: 1, index: 1, data: [UInt8](repeating: 1, count: RecordFrame.maxPayloadBytes))
        XCTAssertThrowsWALError(.recordTooLarge(bytes: RecordFrame.maxPayloadBytes + 17, limit: RecordFrame.maxPayloadBytes),
                                try wal.save(hardState: HardState(), entries: [huge]))
        try wal.save(hardState: HardState(), entries: makeEntries(1...1, term: 1))
        try wal.sync()
        XCTAssertEqual(try openWAL(fileSystem).replay.entries, makeEntries(1...1, term: 1))
    }
}
