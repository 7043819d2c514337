import Raft
import XCTest
@testable import WAL

/// A subset of the suite on the real file system, in a temporary directory.
final class PosixTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private let fileSystem = PosixFileSystem()

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory.remove()
    }

    func testRoundTripAcrossSegmentCuts() throws {
        try checkRoundTripAcrossSegmentCuts(fileSystem, dataDirectory: directory.path + "/data")
    }

    func testTornLastRecordRecovers() throws {
        var recordSize = 0
        var keptBytes = 0
        repeat {
            let dataDirectory = directory.path + "/torn-\(keptBytes)"
            let written = try writeLogEndingInOneRecordWrite(fileSystem, dataDirectory: dataDirectory)
            recordSize = written.recordSize
            try fileSystem.openFile(atPath: written.tailPath).truncate(toSize: written.recordOffset + keptBytes)
            try checkRecoveryFromTornLastRecord(
                fileSystem, dataDirectory: dataDirectory, model: written.model, recordOffset: written.recordOffset,
                expectsRepair: keptBytes > 0, message: "kept \(keptBytes) of \(recordSize) bytes"
            )
            keptBytes += 5
        } while keptBytes < recordSize
    }

    func testFlippedBitInAMiddleRecordIsRefused() throws {
        let dataDirectory = directory.path + "/data"
        let wal = try writeThreeSegments(fileSystem, dataDirectory: dataDirectory)
        let name = wal.segmentFileNames.last!
        let path = dataDirectory + "/member/wal/" + name
        let victim = frameOffsets(try fileSystem.readFile(atPath: path))[4]
        try flipBit(fileSystem, path: path, byteOffset: victim + 19)
        XCTAssertThrowsWALError(.corruptRecord(file: "member/wal/" + name, offset: victim, problem: .checksumMismatch),
                                try WAL.open(dataDirectory: dataDirectory, at: .initial, fileSystem: fileSystem))
    }

    func testPreallocatedSegmentsHaveTheirSizeOnDisk() throws {
        let dataDirectory = directory.path + "/data"
        let wal = try WAL.create(dataDirectory: dataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(8192))
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...5, term: 1))
        try wal.sync()
        XCTAssertEqual(try fileSystem.readFile(atPath: dataDirectory + "/member/wal/" + wal.segmentFileNames[0]).count, 8192)
        XCTAssertEqual(try openWAL(fileSystem, options: smallSegments(8192), dataDirectory: dataDirectory).replay.entries, makeEntries(1...5, term: 1))
    }

    func testSnapshotterRetentionAndCorruptNewest() throws {
        try checkSnapshotterRetentionAndCorruptNewest(fileSystem, dataDirectory: directory.path + "/data")
    }

    func testFileSystemBasics() throws {
        let base = directory.path + "/a/b"
        try fileSystem.createDirectory(atPath: base)
        try fileSystem.createDirectory(atPath: base)
        let file = try fileSystem.createFile(atPath: base + "/one")
        try file.write([1, 2, 3], at: 2)
        try file.syncData()
        XCTAssertEqual(try fileSystem.readFile(atPath: base + "/one"), [0, 0, 1, 2, 3])
        try fileSystem.rename(atPath: base + "/one", toPath: base + "/two")
        try fileSystem.syncDirectory(atPath: base)
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: base), ["two"])
        try fileSystem.removeFile(atPath: base + "/two")
        XCTAssertFalse(fileSystem.exists(atPath: base + "/two"))
        XCTAssertThrowsError(try fileSystem.openFile(atPath: base + "/two")) { error in
            guard case let .fileSystem(_, path, errno) = error as? WALError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, base + "/two")
            XCTAssertEqual(errno, ENOENT)
        }
    }
}
