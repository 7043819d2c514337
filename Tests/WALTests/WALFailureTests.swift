import Raft
import XCTest
@testable import WAL

final class WALFailureTests: XCTestCase {
    func testFailedFsyncThrowsAndLeavesTheWALUnusable() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...3, term: 1))
        fileSystem.injectFailure(.dataSync)
        XCTAssertThrowsError(try wal.sync()) { error in
            guard case let .fileSystem(operation, _, errno) = error as? WALError else { return XCTFail("\(error)") }
            XCTAssertEqual(operation, "fdatasync")
            XCTAssertEqual(errno, EIO)
        }
        assertUnusable(wal)
    }

    func testFailedWriteThrowsAndLeavesTheWALUnusable() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...3, term: 1))
        fileSystem.injectFailure(.write)
        XCTAssertThrowsError(try wal.sync())
        assertUnusable(wal)
    }

    /// A cut whose directory sync failed stops the WAL; after a crash everything synced before
    /// it is still there, whether or not the new segment's name survived.
    func testFailedSegmentCutStopsTheWALAndLosesNothingSynced() throws {
        let fileSystem = MemoryFileSystem()
        let options = smallSegments(512)
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: options)
        var model = LogModel()
        var synced = model
        fileSystem.injectFailure(.directorySync)
        while true {
            let entries = makeEntries((wal.lastIndex + 1)...(wal.lastIndex + 3), term: 1)
            let hardState = HardState(term: 1, vote: 1, commit: wal.lastIndex)
            try wal.save(hardState: hardState, entries: entries)
            model.save(hardState: hardState, entries: entries)
            do {
                try wal.sync()
                synced = model
            } catch {
                // The batch itself was synced; the cut after it failed.
                synced = model
                break
            }
        }
        assertUnusable(wal)
        fileSystem.crash()
        let (_, replay) = try openWAL(fileSystem, options: options)
        XCTAssertEqual(replay.entries, synced.entries)
        XCTAssertEqual(replay.hardState, synced.hardState)
    }

    func testCrashLosesExactlyTheUnsyncedRecords() throws {
        let fileSystem = MemoryFileSystem()
        let wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: smallSegments())
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 2), entries: makeEntries(1...5, term: 1))
        try wal.sync()
        try wal.save(hardState: HardState(term: 2, vote: 2, commit: 5), entries: makeEntries(6...9, term: 2))
        try wal.saveSnapshotMarker(SnapshotMarker(index: 5, term: 1))
        fileSystem.crash()

        let (_, replay) = try openWAL(fileSystem)
        XCTAssertEqual(replay.entries, makeEntries(1...5, term: 1))
        XCTAssertEqual(replay.hardState, HardState(term: 1, vote: 1, commit: 2))
        XCTAssertNil(replay.tailRepair)
        XCTAssertEqual(try WAL.snapshotMarkers(dataDirectory: testDataDirectory, fileSystem: fileSystem), [.initial])
    }

    /// Random batches, syncs and crashes across segment cuts. A plain crash leaves exactly what
    /// was synced. A crash during a sync (the write done, its fdatasync never returning) with the
    /// write torn at a random byte leaves what was synced plus some whole records of that write,
    /// in order: never less than was synced, never a record out of order.
    func testRandomCrashesNeverLoseSyncedRecords() throws {
        var tornCrashes = 0
        var mostSegments = 0
        for seed in UInt64(1)...12 {
            var random = SeededRandom(seed: seed)
            let options = smallSegments(768)
            let fileSystem = MemoryFileSystem()
            var wal = try WAL.create(dataDirectory: testDataDirectory, metadata: testMetadata, fileSystem: fileSystem, options: options)
            var synced = LogModel()
            var unsynced: [LogModel.Record] = []
            var term: UInt64 = 1
            for step in 0..<300 {
                let context = "seed \(seed) step \(step)"
                switch random.next() % 10 {
                case 0...4:
                    let count = random.next() % 4 + 1
                    let backUp = random.next() % 5 == 0 ? min(wal.lastIndex, random.next() % 3) : 0
                    if backUp > 0 { term += 1 }
                    let first = wal.lastIndex + 1 - backUp
                    let entries = makeEntries(first...(first + count - 1), term: term)
                    let hardState = HardState(term: term, vote: random.next() % 3, commit: first - 1)
                    try wal.save(hardState: hardState, entries: entries)
                    unsynced += entries.map { .entry($0) } + [.hardState(hardState)]
                case 5...7:
                    try wal.sync()
                    unsynced.forEach { synced.apply($0) }
                    unsynced = []
                default:
                    var outcomes = [synced]
                    if !unsynced.isEmpty, random.next() % 2 == 0 {
                        fileSystem.injectFailure(.dataSync)
                        XCTAssertThrowsError(try wal.sync(), context)
                        let keptBytes = Int(random.next() % UInt64(fileSystem.lastWriteByteCount! + 1))
                        fileSystem.crash(tearingLastWrite: .init(keptBytes: keptBytes, remainder: .garbage(seed: random.next())))
                        tornCrashes += 1
                        for record in unsynced {
                            var next = outcomes.last!
                            next.apply(record)
                            outcomes.append(next)
                        }
                    } else {
                        fileSystem.crash()
                    }
                    let (reopened, replay) = try openWAL(fileSystem, options: options)
                    let recovered = LogModel(entries: replay.entries, hardState: replay.hardState)
                    XCTAssertTrue(outcomes.contains(recovered), context)
                    synced = recovered
                    unsynced = []
                    wal = reopened
                    term = max(term, (replay.entries.last?.term ?? 0) + 1)
                }
                mostSegments = max(mostSegments, wal.segmentFileNames.count)
            }
        }
        XCTAssertGreaterThan(tornCrashes, 20, "the scenario must tear many syncs")
        XCTAssertGreaterThan(mostSegments, 3, "the scenario must cross segment cuts")
    }

    private func assertUnusable(_ wal: WAL, file: StaticString = #filePath, line: UInt = #line) {
        func check(_ body: @autoclosure () throws -> Void) {
            XCTAssertThrowsError(try body(), file: file, line: line) { error in
                guard case .unusable = error as? WALError else { return XCTFail("\(error)", file: file, line: line) }
            }
        }
        check(try wal.save(hardState: HardState(term: 9, vote: 9, commit: 0), entries: []))
        check(try wal.saveSnapshotMarker(SnapshotMarker(index: 1, term: 1)))
        check(try wal.sync())
        check(try wal.releaseTo(0))
    }
}
