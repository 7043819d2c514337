import Raft
import XCTest
@testable import WAL

final class GroupCommitTests: XCTestCase {
    func testManySavesShareOneWriteAndOneFdatasync() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1 << 16))
        // The first sync also writes zeros ahead of the records (see the next test).
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [])
        try wal.sync()
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

    func testZerosAreWrittenAheadOfTheRecordsOnceForTheWholeStep() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1 << 16))
        var writesPerSync: [Int] = []
        for index in UInt64(1)...3 {
            let writesBefore = fileSystem.writeCount
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: index - 1), entries: makeEntries(index...index, term: 1))
            try wal.sync()
            writesPerSync.append(fileSystem.writeCount - writesBefore)
        }
        // 64 KiB of zeros (the whole small segment, in one 64 KiB write), then the records.
        XCTAssertEqual(writesPerSync, [2, 1, 1])
        XCTAssertEqual(try openWAL(fileSystem, options: smallSegments(1 << 16)).replay.entries, makeEntries(1...3, term: 1))

        let unallocated = MemoryFileSystem()
        let plain = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: unallocated,
                                   options: smallSegments(1 << 16, preallocates: false))
        let writesBefore = unallocated.writeCount
        try plain.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...1, term: 1))
        try plain.sync()
        XCTAssertEqual(unallocated.writeCount - writesBefore, 1, "without preallocation there is nothing to initialize")
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
