import Raft
import XCTest
@testable import WAL

// Scenarios run on both file systems: MemoryFileSystem (WAL*Tests) and the real one (PosixTests).

/// Saves many batches, some overwriting earlier indices under a new term, across many segment
/// cuts; reopening must give back the same hard state and log, and appending must continue.
func checkRoundTripAcrossSegmentCuts(_ fileSystem: FileSystem, dataDirectory: String) throws {
    let options = smallSegments(1024)
    let wal = try WAL.create(dataDirectory: dataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: options)
    var model = LogModel()
    var lastIndex: UInt64 = 0
    var term: UInt64 = 1
    for batch in 1...120 {
        var entries = makeEntries((lastIndex + 1)...(lastIndex + 3), term: term)
        if batch % 17 == 0 {
            // A new leader overwrites the last two entries.
            term += 1
            entries = makeEntries((lastIndex - 1)...(lastIndex + 1), term: term)
        }
        let hardState = HardState(term: term, vote: 1, commit: entries[0].index - 1)
        try wal.save(hardState: hardState, entries: entries)
        model.save(hardState: hardState, entries: entries)
        try wal.sync()
        lastIndex = entries.last!.index
    }
    XCTAssertGreaterThan(wal.segmentFileNames.count, 4, "the test must cross several segment cuts")

    let (reopened, replay) = try openWAL(fileSystem, options: options, dataDirectory: dataDirectory)
    XCTAssertEqual(replay.metadata, testMetadata)
    XCTAssertEqual(replay.hardState, model.hardState)
    XCTAssertEqual(replay.entries, model.entries)
    XCTAssertNil(replay.tailRepair)
    XCTAssertEqual(reopened.lastIndex, lastIndex)
    XCTAssertEqual(reopened.segmentFileNames, wal.segmentFileNames)

    let more = makeEntries((lastIndex + 1)...(lastIndex + 5), term: term)
    try reopened.save(hardState: HardState(), entries: more)
    model.save(hardState: HardState(), entries: more)
    try reopened.sync()
    let (_, again) = try openWAL(fileSystem, options: options, dataDirectory: dataDirectory)
    XCTAssertEqual(again.entries, model.entries)
    XCTAssertEqual(again.hardState, model.hardState)
}

/// Writes a log whose last record went to disk in a write of its own, and returns the tail
/// segment's path, the offset where that record starts, and the record's size.
/// `preallocatesSegments` is off so the file's size shows where each write ended.
func writeLogEndingInOneRecordWrite(
    _ fileSystem: FileSystem, dataDirectory: String
) throws -> (model: LogModel, tailPath: String, recordOffset: Int, recordSize: Int) {
    let options = smallSegments(1 << 16, preallocates: false)
    let wal = try WAL.create(dataDirectory: dataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: options)
    var model = LogModel()
    let hardState = HardState(term: 1, vote: 1, commit: 5)
    try wal.save(hardState: hardState, entries: makeEntries(1...10, term: 1))
    model.save(hardState: hardState, entries: makeEntries(1...10, term: 1))
    try wal.sync()
    let tailPath = dataDirectory + "/member/wal/" + wal.segmentFileNames.last!
    let recordOffset = try fileSystem.readFile(atPath: tailPath).count
    try wal.save(hardState: HardState(), entries: makeEntries(11...11, term: 1))
    try wal.sync()
    let recordSize = try fileSystem.readFile(atPath: tailPath).count - recordOffset
    return (model, tailPath, recordOffset, recordSize)
}

/// After the tail was torn somewhere inside the last record: opening recovers to the record
/// before it, appending continues there, and reopening gives the right log.
func checkRecoveryFromTornLastRecord(
    _ fileSystem: FileSystem, dataDirectory: String, model: LogModel, recordOffset: Int, expectsRepair: Bool,
    message: String, file: StaticString = #filePath, line: UInt = #line
) throws {
    let options = smallSegments(1 << 16, preallocates: false)
    let (wal, replay) = try openWAL(fileSystem, options: options, dataDirectory: dataDirectory, file: file, line: line)
    XCTAssertEqual(replay.entries, model.entries, message, file: file, line: line)
    XCTAssertEqual(replay.hardState, model.hardState, message, file: file, line: line)
    XCTAssertEqual(wal.lastIndex, 10, message, file: file, line: line)
    if expectsRepair {
        XCTAssertEqual(replay.tailRepair?.offset, recordOffset, message, file: file, line: line)
    } else {
        XCTAssertNil(replay.tailRepair, message, file: file, line: line)
    }

    var expected = model
    let replacement = makeEntries(11...12, term: 2)
    try wal.save(hardState: HardState(term: 2, vote: 3, commit: 10), entries: replacement)
    expected.save(hardState: HardState(term: 2, vote: 3, commit: 10), entries: replacement)
    try wal.sync()
    let (_, reopened) = try openWAL(fileSystem, options: options, dataDirectory: dataDirectory, file: file, line: line)
    XCTAssertEqual(reopened.entries, expected.entries, message, file: file, line: line)
    XCTAssertEqual(reopened.hardState, expected.hardState, message, file: file, line: line)
    XCTAssertNil(reopened.tailRepair, message, file: file, line: line)
}

/// Flips one bit of one byte in place, through the file system, and syncs it.
func flipBit(_ fileSystem: FileSystem, path: String, byteOffset: Int, bit: Int = 0) throws {
    let byte = try fileSystem.readFile(atPath: path)[byteOffset]
    let file = try fileSystem.openFile(atPath: path)
    try file.write([byte ^ (1 << UInt8(bit))], at: byteOffset)
    try file.syncData()
}

/// A log of three segments whose tail holds five batches after its header, so a test can damage
/// a record that valid records follow, in the tail or before it.
func writeThreeSegments(_ fileSystem: FileSystem, dataDirectory: String) throws -> WAL {
    let wal = try WAL.create(dataDirectory: dataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(1024))
    var index: UInt64 = 0
    func saveBatch() throws {
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: makeEntries((index + 1)...(index + 2), term: 1))
        try wal.sync()
        index += 2
    }
    while wal.segmentFileNames.count < 3 { try saveBatch() }
    for _ in 1...5 { try saveBatch() }
    return wal
}

/// The offsets of the frames in a segment file's bytes, read by their length fields.
func frameOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var offset = 0
    while offset + RecordFrame.headerSize <= bytes.count, bytes[offset + RecordFrame.typeOffset] != 0 {
        offsets.append(offset)
        offset += RecordFrame.size(payloadCount: Int(bytes.loadLittleEndian(UInt32.self, at: offset)))
    }
    return offsets
}

/// The snapshotter saves atomically, keeps `maxSnapshots`, and loads the newest whole snapshot,
/// setting aside a corrupt newest one.
func checkSnapshotterRetentionAndCorruptNewest(_ fileSystem: FileSystem, dataDirectory: String) throws {
    let snapshotter = try Snapshotter(dataDirectory: dataDirectory, fileSystem: fileSystem, maxSnapshots: 3)
    XCTAssertEqual(try snapshotter.loadNewest(), SnapshotLoad(snapshot: nil, brokenFiles: []))
    let snapshots = (1...5).map { number in
        Snapshot(
            metadata: SnapshotMetadata(index: UInt64(number) * 100, term: UInt64(number), confState: ConfState(voters: [1, 2, 3], learners: [9])),
            data: Array(repeating: UInt8(number), count: number * 50)
        )
    }
    for snapshot in snapshots { try snapshotter.save(snapshot) }
    XCTAssertEqual(try snapshotter.snapshotFileNames(), [
        "0000000000000003-000000000000012c.snap",
        "0000000000000004-0000000000000190.snap",
        "0000000000000005-00000000000001f4.snap",
    ])
    XCTAssertEqual(try snapshotter.loadNewest().snapshot, snapshots[4])

    let newestPath = dataDirectory + "/member/snap/0000000000000005-00000000000001f4.snap"
    try flipBit(fileSystem, path: newestPath, byteOffset: 40, bit: 3)
    let load = try snapshotter.loadNewest()
    XCTAssertEqual(load.snapshot, snapshots[3])
    XCTAssertEqual(load.brokenFiles.map(\.name), ["0000000000000005-00000000000001f4.snap"])
    XCTAssertEqual(load.brokenFiles.first?.error, .corruptSnapshot(file: "member/snap/0000000000000005-00000000000001f4.snap", problem: "crc mismatch"))
    XCTAssertTrue(fileSystem.exists(atPath: newestPath + ".broken"))
    XCTAssertEqual(try snapshotter.snapshotFileNames().count, 2)
}
