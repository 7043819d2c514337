import Checksum
import Foundation
import Raft
import XCTest
@testable import WAL

let testDataDirectory = "/data"
let testMetadata: [UInt8] = Array("member=1 cluster=7".utf8)

/// Options for tests: segments of a few KiB so a test crosses many segment cuts.
func smallSegments(_ bytes: Int = 2048, maxWALs: Int = 5, preallocates: Bool = true) -> WALOptions {
    WALOptions(segmentSizeBytes: bytes, maxWALs: maxWALs, preallocatesSegments: preallocates)
}

/// The CRC-32C of some bytes, from nothing.
func crc32c(_ bytes: [UInt8]) -> UInt32 {
    CRC32C.update(0, bytes[...])
}

/// Entries whose content depends on index and term, with varied lengths, so any mix-up shows.
func makeEntries(_ indices: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
    indices.map { index in
        let count = Int((index &* 7 &+ term) % 40)
        let data = (0..<count).map { UInt8(truncatingIfNeeded: index &* 31 &+ term &+ UInt64($0)) }
        return Entry(term: term, index: index, type: index % 11 == 0 ? .confChange : .normal, data: data)
    }
}

/// What the log should replay to: entries with Raft's overwrite rule, and the newest hard state.
struct LogModel: Equatable {
    var entries: [Entry] = []
    var hardState = HardState()

    /// One record as the WAL writes it, for following a torn batch record by record.
    enum Record {
        case entry(Entry)
        case hardState(HardState)
    }

    mutating func save(hardState newHardState: HardState, entries newEntries: [Entry]) {
        newEntries.forEach { apply(.entry($0)) }
        apply(.hardState(newHardState))
    }

    mutating func apply(_ record: Record) {
        switch record {
        case let .entry(entry):
            entries = entries.prefix { $0.index < entry.index } + [entry]
        case let .hardState(newHardState):
            if newHardState != HardState() { hardState = newHardState }
        }
    }

    func entries(after index: UInt64) -> [Entry] {
        entries.filter { $0.index > index }
    }
}

/// Opens the WAL, failing the test with the error's description if it throws.
func openWAL(
    _ fileSystem: FileSystem, at marker: SnapshotMarker = .initial, options: WALOptions = smallSegments(),
    dataDirectory: String = testDataDirectory, file: StaticString = #filePath, line: UInt = #line
) throws -> (wal: WAL, replay: WALReplay) {
    do {
        return try WAL.open(dataDirectory: dataDirectory, at: marker, fileSystem: fileSystem, options: options)
    } catch {
        XCTFail("open failed: \(error)", file: file, line: line)
        throw error
    }
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsWALError<T>(
    _ expected: WALError, _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? WALError, expected, "\(error)", file: file, line: line)
    }
}

/// A directory under the system's temporary directory, removed with everything in it by `remove()`.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/wal-tests-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: created)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
