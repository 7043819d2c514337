import Raft
import XCTest
@testable import WAL

final class GroupCommitTests: XCTestCase {
    func testManySavesShareOneWriteAndOneFdatasync() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1 << 16))
        let (writesBefore, syncsBefore) = (fileSystem.writeCount, fileSystem.dataSyncCount)
        for index in UInt64(1)...50 {
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: index - 1), entries: makeEntries(index...index, term: 1))
        }
        XCTAssertEqual(fileSystem.writeCount, writesBefore, "saving does no I/O")
        XCTAssertEqual(fileSystem.dataSyncCount, syncsBefore)

        try wal.sync()
        XCTAssertEqual(fileSystem.writeCount - writesBefore, 1)
        XCTAssertEqual(fileSystem.dataSyncCount - syncsBefore, 1)
        XCTAssertEqual(try openWAL(fileSystem, options: smallSegments(1 << 16)).replay.entries, makeEntries(1...50, term: 1))
    }

    func testSyncWithNothingPendingDoesNoIO() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1 << 16))
        let (writesBefore, syncsBefore) = (fileSystem.writeCount, fileSystem.dataSyncCount)
        try wal.sync()
        try wal.save(hardState: HardState(), entries: [])
        try wal.sync()
        XCTAssertEqual(fileSystem.writeCount, writesBefore)
        XCTAssertEqual(fileSystem.dataSyncCount, syncsBefore)
    }

    func testSegmentCutSyncsTheNewSegmentAndTheDirectory() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(256))
        let (syncsBefore, directorySyncsBefore) = (fileSystem.dataSyncCount, fileSystem.directorySyncCount)
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...10, term: 1))
        try wal.sync()
        XCTAssertEqual(wal.segmentFileNames.count, 2)
        XCTAssertEqual(fileSystem.dataSyncCount - syncsBefore, 2, "the batch, then the new segment's header")
        XCTAssertEqual(fileSystem.directorySyncCount - directorySyncsBefore, 1, "the rename that names the new segment")
    }
}
