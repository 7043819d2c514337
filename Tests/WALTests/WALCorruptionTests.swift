import Raft
import XCTest
@testable import WAL

final class WALCorruptionTests: XCTestCase {
    /// A flipped bit anywhere in a record that valid records follow, in the tail segment, is
    /// refused with the file and the record's offset — never repaired as a torn tail.
    func testFlippedBitInAMiddleRecordOfTheTailIsRefused() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let name = wal.segmentFileNames.last!
        let path = "/data/member/wal/" + name
        let original = try fileSystem.readFile(atPath: path)
        let offsets = frameOffsets(original)
        XCTAssertGreaterThan(offsets.count, 6)
        let victim = offsets[4]
        let victimEnd = offsets[5]

        for byteOffset in victim..<victimEnd {
            let bit = byteOffset % 8
            try fileSystem.flipBit(atPath: path, byteOffset: byteOffset, bit: bit)
            XCTAssertThrowsError(try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem, options: smallSegments(1024)),
                                 "bit \(bit) of byte \(byteOffset)") { error in
                guard case let .corruptRecord(file, offset, _) = error as? WALError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, "member/wal/" + name)
                XCTAssertEqual(offset, victim, "bit \(bit) of byte \(byteOffset)")
            }
            try fileSystem.flipBit(atPath: path, byteOffset: byteOffset, bit: bit)
        }
        XCTAssertEqual(try fileSystem.readFile(atPath: path), original, "refusing must not change the file")
    }

    func testRefusalNamesFileAndOffsetInItsDescription() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let name = wal.segmentFileNames[1]
        let path = "/data/member/wal/" + name
        let victim = frameOffsets(try fileSystem.readFile(atPath: path))[3]
        try fileSystem.flipBit(atPath: path, byteOffset: victim + 20, bit: 5)

        XCTAssertThrowsError(try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem)) { error in
            XCTAssertEqual(error as? WALError, .corruptRecord(file: "member/wal/" + name, offset: victim, problem: .checksumMismatch))
            XCTAssertEqual("\(error)", "wal: corrupt record at member/wal/\(name) offset \(victim): crc mismatch")
        }
    }

    /// In a segment before the tail even the last record is refused: a torn write cannot be there.
    func testDamageAtTheEndOfANonLastSegmentIsRefused() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let name = wal.segmentFileNames[0]
        let path = "/data/member/wal/" + name
        let lastRecord = frameOffsets(try fileSystem.readFile(atPath: path)).last!
        try fileSystem.flipBit(atPath: path, byteOffset: lastRecord + 17, bit: 0)
        XCTAssertThrowsWALError(.corruptRecord(file: "member/wal/" + name, offset: lastRecord, problem: .checksumMismatch),
                                try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem))
    }

    /// A record zeroed out (as a lost sector reads) with records after it is not the end of the log.
    func testZeroedMiddleRecordIsRefused() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let path = "/data/member/wal/" + wal.segmentFileNames.last!
        let offsets = frameOffsets(try fileSystem.readFile(atPath: path))
        let file = try fileSystem.openFile(atPath: path)
        try file.write([UInt8](repeating: 0, count: offsets[5] - offsets[4]), at: offsets[4])
        try file.syncData()
        XCTAssertThrowsWALError(.corruptRecord(file: "member/wal/" + wal.segmentFileNames.last!, offset: offsets[4], problem: .unknownType(0)),
                                try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem))
    }

    /// The final record of the log failing its checksum is a torn tail: repaired and reported.
    func testDamagedFinalRecordIsRepairedAsATornTail() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let name = wal.segmentFileNames.last!
        let path = "/data/member/wal/" + name
        let lastRecord = frameOffsets(try fileSystem.readFile(atPath: path)).last!
        try fileSystem.flipBit(atPath: path, byteOffset: lastRecord + 30, bit: 2)
        let replay = try openWAL(fileSystem, options: smallSegments(1024)).replay
        XCTAssertEqual(replay.tailRepair?.file, "member/wal/" + name)
        XCTAssertEqual(replay.tailRepair?.offset, lastRecord)
        XCTAssertEqual(replay.tailRepair?.problem, .checksumMismatch)
    }

    func testDamagedSegmentHeaderIsRefusedEvenInTheTail() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments(512))
        while wal.segmentFileNames.count < 2 {
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries((wal.lastIndex + 1)...(wal.lastIndex + 4), term: 1))
            try wal.sync()
        }
        // The new tail holds only its header; damage its last header record (the hard state).
        let name = wal.segmentFileNames.last!
        let path = "/data/member/wal/" + name
        let hardStateRecord = frameOffsets(try fileSystem.readFile(atPath: path))[2]
        try fileSystem.flipBit(atPath: path, byteOffset: hardStateRecord + 16, bit: 1)
        XCTAssertThrowsWALError(.corruptRecord(file: "member/wal/" + name, offset: hardStateRecord, problem: .checksumMismatch),
                                try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem, options: smallSegments(512)))
    }

    func testMissingSegmentIsRefused() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let names = wal.segmentFileNames
        try fileSystem.removeFile(atPath: "/data/member/wal/" + names[1])
        XCTAssertThrowsWALError(.missingSegment(before: "member/wal/" + names[0], after: "member/wal/" + names[2]),
                                try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem))
    }

    /// A segment swapped for a valid one from another log breaks the chain at its crc carry.
    func testSegmentFromAnotherLogBreaksTheChain() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try writeThreeSegments(fileSystem, dataDirectory: testDataDirectory)
        let other = MemoryFileSystem()
        let otherWAL = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: other, options: smallSegments(1024))
        var index: UInt64 = 0
        while otherWAL.segmentFileNames.count < 3 {
            // Different hard states give different checksums, with the same entries and cuts.
            try otherWAL.save(hardState: HardState(term: 1, vote: 2, commit: index), entries: makeEntries((index + 1)...(index + 2), term: 1))
            try otherWAL.sync()
            index += 2
        }
        XCTAssertEqual(otherWAL.segmentFileNames[1], wal.segmentFileNames[1])
        let name = wal.segmentFileNames[1]
        let file = try fileSystem.createFile(atPath: "/data/member/wal/" + name)
        try file.write(try other.readFile(atPath: "/data/member/wal/" + name), at: 0)
        try file.syncData()
        XCTAssertThrowsWALError(.corruptRecord(file: "member/wal/" + name, offset: 0, problem: .brokenChain),
                                try WAL.open(dataDirectory: testDataDirectory, at: .initial, fileSystem: fileSystem))
    }
}
