import Raft
import XCTest
@testable import WAL

/// `Snapshotter.save(metadata:dataCount:writeData:)`: data handed over in chunks makes the same
/// file as `save(_:)`, and a save that fails leaves no snapshot file behind.
final class SnapshotterStreamingTests: XCTestCase {
    private let snapshot = Snapshot(
        metadata: SnapshotMetadata(index: 0x2A, term: 3, confState: ConfState(voters: [1, 2, 3], learners: [9])),
        data: (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    )
    private let snapDirectory = "/data/member/snap"
    private var fileName: String { SnapshotFileName(term: 3, index: 0x2A).description }

    /// Hands `snapshot.data` over in chunks of `size` bytes (the last one shorter).
    private func writeInChunks(of size: Int) -> (([UInt8]) throws -> Void) throws -> Void {
        { [snapshot] sink in
            for start in stride(from: 0, to: snapshot.data.count, by: size) {
                try sink(Array(snapshot.data[start..<min(start + size, snapshot.data.count)]))
            }
        }
    }

    func testStreamedFileIsByteIdenticalToSavedOneAndLoadsBack() throws {
        let whole = MemoryFileSystem()
        try Snapshotter(dataDirectory: testDataDirectory, fileSystem: whole).save(snapshot)
        let expected = try whole.readFile(atPath: "\(snapDirectory)/\(fileName)")

        for chunkSize in [1, 7, 1000, 5000] {
            let streamed = MemoryFileSystem()
            let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: streamed)
            try snapshotter.save(metadata: snapshot.metadata, dataCount: snapshot.data.count, writeData: writeInChunks(of: chunkSize))
            XCTAssertEqual(try streamed.readFile(atPath: "\(snapDirectory)/\(fileName)"), expected, "chunks of \(chunkSize)")
            XCTAssertEqual(try snapshotter.loadNewest().snapshot, snapshot)
            XCTAssertEqual(try snapshotter.load(snapshot.metadata), snapshot)
        }
    }

    func testAFailingWriterLeavesOnlyTheTemporaryFileAsSaveDoes() throws {
        struct Interrupted: Error {}
        let fileSystem = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        XCTAssertThrowsError(try snapshotter.save(metadata: snapshot.metadata, dataCount: snapshot.data.count) { sink in
            try sink([1, 2, 3])
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: snapDirectory), [fileName + ".tmp"])
        XCTAssertNil(try snapshotter.loadNewest().snapshot)

        _ = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: snapDirectory), [])
    }

    func testAWriteFailingMidwayLeavesOnlyTheTemporaryFile() throws {
        let fileSystem = MemoryFileSystem()
        let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
        var chunks = 0
        XCTAssertThrowsError(try snapshotter.save(metadata: snapshot.metadata, dataCount: snapshot.data.count) { sink in
            try self.writeInChunks(of: 1000)({ chunk in
                chunks += 1
                if chunks == 3 { fileSystem.injectFailure(.write) }
                try sink(chunk)
            })
        })
        XCTAssertEqual(chunks, 3)
        XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: snapDirectory), [fileName + ".tmp"])
        XCTAssertNil(try snapshotter.loadNewest().snapshot)
    }

    func testASyncFailureLeavesWhatSaveLeaves() throws {
        let saves: [(Snapshotter) throws -> Void] = [
            { try $0.save(self.snapshot) },
            { try $0.save(metadata: self.snapshot.metadata, dataCount: self.snapshot.data.count, writeData: self.writeInChunks(of: 1000)) },
        ]
        for save in saves {
            let fileSystem = MemoryFileSystem()
            let snapshotter = try Snapshotter(dataDirectory: testDataDirectory, fileSystem: fileSystem)
            fileSystem.injectFailure(.dataSync)
            XCTAssertThrowsError(try save(snapshotter))
            XCTAssertEqual(try fileSystem.contentsOfDirectory(atPath: snapDirectory), [fileName + ".tmp"])
            XCTAssertNil(try snapshotter.loadNewest().snapshot)
        }
    }
}
