import Raft
import XCTest
@testable import WAL

final class WALTornTailTests: XCTestCase {
    /// The last record is torn at every byte offset, its missing part either never written or
    /// garbage: each time opening recovers to the record before it and appending continues.
    func testTornLastRecordAtEveryByteOffsetRecovers() throws {
        let remainders: [(String, MemoryFileSystem.TornWrite.Remainder)] = [
            ("unwritten", .unwritten), ("garbage", .garbage(seed: 1)), ("other garbage", .garbage(seed: 99)),
        ]
        let recordSize = try writeLogEndingInOneRecordWrite(MemoryFileSystem(), dataDirectory: testDataDirectory).recordSize
        XCTAssertGreaterThan(recordSize, 16)
        for (remainderName, remainder) in remainders {
            for keptBytes in 0..<recordSize {
                let fileSystem = MemoryFileSystem()
                let written = try writeLogEndingInOneRecordWrite(fileSystem, dataDirectory: testDataDirectory)
                XCTAssertEqual(fileSystem.lastWriteByteCount, recordSize)
                fileSystem.crash(tearingLastWrite: .init(keptBytes: keptBytes, remainder: remainder))
                // Nothing of the record reached the disk only if nothing at all was written there.
                let expectsRepair: Bool
                if case .unwritten = remainder { expectsRepair = keptBytes > 0 } else { expectsRepair = true }
                try checkRecoveryFromTornLastRecord(
                    fileSystem, dataDirectory: testDataDirectory, model: written.model, recordOffset: written.recordOffset,
                    expectsRepair: expectsRepair, message: "kept \(keptBytes) of \(recordSize) bytes, rest \(remainderName)"
                )
            }
        }
    }

    /// The same in a preallocated segment, where the unwritten part reads as zeros up to the end
    /// of the file; the repair must leave the segment preallocated.
    func testTornLastRecordInPreallocatedSegmentRecovers() throws {
        let options = smallSegments(4096)
        let lastEntry = Entry(term: 1, index: 4, data: Array(repeating: 7, count: 7))  // a 40-byte frame
        for keptBytes in 0...40 {
            let fileSystem = MemoryFileSystem()
            let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: options)
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: 2), entries: makeEntries(1...3, term: 1))
            try wal.sync()
            try wal.save(hardState: HardState(), entries: [lastEntry])
            try wal.sync()
            XCTAssertEqual(fileSystem.lastWriteByteCount, 40)
            fileSystem.crash(tearingLastWrite: .init(keptBytes: keptBytes))

            let (reopened, replay) = try openWAL(fileSystem, options: options)
            XCTAssertEqual(replay.entries, makeEntries(1...3, term: 1) + (keptBytes == 40 ? [lastEntry] : []))
            XCTAssertEqual(replay.tailRepair != nil, keptBytes > 0 && keptBytes < 40, "kept \(keptBytes)")
            let tail = "/data/member/wal/0000000000000000-0000000000000000.wal"
            XCTAssertEqual(try fileSystem.readFile(atPath: tail).count, 4096, "still preallocated")
            try reopened.save(hardState: HardState(), entries: makeEntries(4...5, term: 2))
            try reopened.sync()
            XCTAssertEqual(try openWAL(fileSystem, options: options).replay.entries, makeEntries(1...3, term: 1) + makeEntries(4...5, term: 2), "kept \(keptBytes)")
        }
    }

    /// A torn batch keeps exactly the records that reached the disk whole, never fewer than the
    /// synced ones before it.
    func testTornBatchKeepsTheWholeRecordsItWrote() throws {
        let batch = makeEntries(4...9, term: 1)
        let frameSizes = batch.map { RecordFrame.size(payloadCount: LogRecord.entryFieldsCount + $0.data.count) }
        let batchSize = frameSizes.reduce(0, +)
        for keptBytes in stride(from: 0, through: batchSize, by: 3) {
            let fileSystem = MemoryFileSystem()
            let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(4096))
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: 1), entries: makeEntries(1...3, term: 1))
            try wal.sync()
            try wal.save(hardState: HardState(), entries: batch)
            try wal.sync()
            fileSystem.crash(tearingLastWrite: .init(keptBytes: keptBytes, remainder: .garbage(seed: UInt64(keptBytes))))

            let replay = try openWAL(fileSystem, options: smallSegments(4096)).replay
            var end = 0
            let wholeRecords = zip(batch, frameSizes).prefix { _, size in
                end += size
                return end <= keptBytes
            }.map(\.0)
            XCTAssertEqual(replay.entries, makeEntries(1...3, term: 1) + wholeRecords, "kept \(keptBytes) of \(batchSize)")
        }
    }

    func testRepairIsReportedWithFileOffsetAndDroppedBytes() throws {
        let fileSystem = MemoryFileSystem()
        let written = try writeLogEndingInOneRecordWrite(fileSystem, dataDirectory: testDataDirectory)
        fileSystem.crash(tearingLastWrite: .init(keptBytes: 17))  // the header and the term's low byte, 1
        let repair = try openWAL(fileSystem, options: smallSegments(1 << 20, preallocates: false)).replay.tailRepair
        XCTAssertEqual(repair, TailRepair(
            file: "member/wal/0000000000000000-0000000000000000.wal", offset: written.recordOffset,
            discardedBytes: 17, problem: .truncated
        ))
        XCTAssertEqual(repair?.description,
                       "wal: repaired torn tail of member/wal/0000000000000000-0000000000000000.wal: dropped 17 bytes from offset \(written.recordOffset) (record runs past the end of the file)")
    }
}
