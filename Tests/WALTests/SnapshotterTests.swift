import Raft
import XCTest
@testable import WAL

final class SnapshotterTests: XCTestCase {
    private func snapshot(index: UInt64, term: UInt64, size: Int = 100) -> Snapshot {
        Snapshot(
            metadata: SnapshotMetadata(index: index, term: term, confState: ConfState(voters: [1, 2, 3])),
            data: (0..<size).map { UInt8(truncatingIfNeeded: Int(index) &+ $0) }
        )
    }

    func testRetentionAndCorruptNewest() throws {
        try checkSnapshotterRetentionAndCorruptNewest(MemoryFileSystem(), dataDirectory: testDataDirectory)
    }

    func testLoadsTheNewestThatHasAMarker() throws {
        let fileSystem = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        for index in [UInt64(10), 20, 30] { try snapshotter.save(snapshot(index: index, term: 2)) }
        let markers = [.initial] + [10, 20].map { SnapshotMarker(snapshot(index: $0, term: 2).metadata) }
        let load = try snapshotter.loadNewest(matching: markers)
        XCTAssertEqual(load.snapshot, snapshot(index: 20, term: 2))
        XCTAssertEqual(try snapshotter.loadNewest(matching: [.initial]).snapshot, nil)
    }

    func testKeepsAtLeastTwoSoTheOneBeforeTheNewestSurvives() throws {
        let fileSystem = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem, maxSnapshots: 1)
        for index in [UInt64(10), 20, 30] { try snapshotter.save(snapshot(index: index, term: 2)) }
        XCTAssertEqual(try snapshotter.snapshotFileNames(), [
            SnapshotFileName(term: 2, index: 20).description, SnapshotFileName(term: 2, index: 30).description,
        ])
    }

    func testASavedSnapshotSurvivesACrashAndAHalfWrittenOneLeavesNothing() throws {
        let fileSystem = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        try snapshotter.save(snapshot(index: 10, term: 1))
        fileSystem.injectFailure(.dataSync)
        XCTAssertThrowsError(try snapshotter.save(snapshot(index: 20, term: 1)))
        fileSystem.crash()

        let restarted = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        XCTAssertEqual(try restarted.loadNewest().snapshot, snapshot(index: 10, term: 1))
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: "/data/member/snap"), [SnapshotFileName(term: 1, index: 10).description])
    }

    func testTemporaryLeftoversAreRemovedOnStart() throws {
        let fileSystem = MemoryFileSystem()
        _ = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        _ = try fileSystem.createFile(atPath: "/data/member/snap/0000000000000001-0000000000000009.snap.tmp")
        _ = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: "/data/member/snap"), [])
    }
}
