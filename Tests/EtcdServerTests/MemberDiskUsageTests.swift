@testable import EtcdServer
import Foundation
import XCTest

/// Status's `dbSize`: the files of `member/wal` and `member/snap`, nothing else.
final class MemberDiskUsageTests: XCTestCase {
    func testCountsTheWALAndSnapshotFilesOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("disk-usage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertEqual(MemberDiskUsage.bytes(dataDirectory: directory), 0, "no data directory yet")

        for sub in ["member/wal", "member/snap", "member/other", "member/wal/nested"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let files = ["member/wal/0.wal": 1000, "member/wal/1.wal": 24, "member/snap/1-1.snap": 300,
                     "member/other/x": 5000, "member/wal/nested/y": 7000, "top": 9000]
        for (path, size) in files {
            try Data(count: size).write(to: URL(fileURLWithPath: directory + "/" + path))
        }
        XCTAssertEqual(MemberDiskUsage.bytes(dataDirectory: directory), 1324)
    }
}
