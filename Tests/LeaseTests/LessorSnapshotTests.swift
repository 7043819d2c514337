import Checksum
import EtcdWire
@testable import Lease
import XCTest

/// The lessor's applied side as bytes and back (`snapshotBytes`, `init(restoringFrom:…)`).
final class LessorSnapshotTests: XCTestCase {
    /// Leases 5 (ttl 10, keys a and b), 9 (ttl raised to 2, key c), 0x7fff… (ttl 60, no keys).
    private func appliedLessor() throws -> Lessor {
        var lessor = primaryLessor()
        try lessor.grantStarted(9, ttl: 1, now: at(0))
        try lessor.grantStarted(0x7FFF_FFFF_FFFF_FFF0, ttl: 60, now: at(0))
        try lessor.grantStarted(5, ttl: 10, now: at(1))
        lessor.trackAttachments(of: [putEvent("a", lease: 5), putEvent("b", lease: 5), putEvent("c", lease: 9)])
        return lessor
    }

    private let leasedKeys: [(key: [UInt8], lease: LeaseID)] = [(bytes("a"), 5), (bytes("b"), 5), (bytes("c"), 9)]

    func testRoundTripKeepsLeasesTTLsAndAttachmentsButNoClocks() throws {
        let lessor = try appliedLessor()
        var restored = try Lessor(restoringFrom: lessor.snapshotBytes(), minimumTTL: 2, leasedKeys: leasedKeys)
        for id: LeaseID in [5, 9, 0x7FFF_FFFF_FFFF_FFF0] {
            XCTAssertEqual(restored.lease(id), lessor.lease(id), "lease \(id)")
        }
        XCTAssertEqual(restored.lease(5)?.keys, keys("a", "b"))
        XCTAssertEqual(restored.lease(9)?.ttl, 2)
        XCTAssertNil(restored.lease(6))
        XCTAssertEqual(restored.snapshotBytes(), lessor.snapshotBytes())

        // Not the holder until promoted; then every lease gets its full TTL plus the extension.
        XCTAssertEqual(restored.renew(5, now: at(100)), .notPrimary)
        restored.promote(now: at(100), extend: .seconds(1))
        XCTAssertEqual(restored.remaining(5, now: at(100)), .seconds(11))
        XCTAssertEqual(restored.remaining(9, now: at(100)), .seconds(3))
        XCTAssertEqual(restored.takeExpired(now: at(103), limit: 10, retryAfter: .seconds(1)), [9])
    }

    func testBytesDependOnlyOnTheLeases() throws {
        var other = primaryLessor()
        try other.grantStarted(5, ttl: 10, now: at(7))
        try other.grantStarted(0x7FFF_FFFF_FFFF_FFF0, ttl: 60, now: at(8))
        try other.grantStarted(9, ttl: 2, now: at(9))
        XCTAssertEqual(other.snapshotBytes(), try appliedLessor().snapshotBytes(), "grant order, clocks and keys do not matter")
        let empty = Lessor(minimumTTL: 2).snapshotBytes()
        XCTAssertEqual(empty.count, 20)
        XCTAssertEqual(try Lessor(restoringFrom: empty, minimumTTL: 2, leasedKeys: []).snapshotBytes(), empty)
    }

    func testTTLsBelowTheMinimumAreRaisedOnRestore() throws {
        let restored = try Lessor(restoringFrom: appliedLessor().snapshotBytes(), minimumTTL: 15, leasedKeys: [])
        XCTAssertEqual(restored.lease(5)?.ttl, 15)
        XCTAssertEqual(restored.lease(0x7FFF_FFFF_FFFF_FFF0)?.ttl, 60)
    }

    func testAKeyWithAnUnknownLeaseMeansTheSnapshotsDisagree() throws {
        let snapshot = try appliedLessor().snapshotBytes()
        XCTAssertThrowsError(try Lessor(restoringFrom: snapshot, minimumTTL: 2, leasedKeys: [(bytes("z"), 6)])) { error in
            XCTAssertEqual((error as? LessorSnapshotError)?.kind, .unknownLease)
            XCTAssertTrue("\(error)".contains("lease 6"), "\(error)")
        }
    }

    func testDamageIsCaught() throws {
        let snapshot = try appliedLessor().snapshotBytes()
        func kind(_ bytes: [UInt8]) -> LessorSnapshotError.Kind? {
            do {
                _ = try Lessor(restoringFrom: bytes, minimumTTL: 2, leasedKeys: [])
                return nil
            } catch {
                return error.kind
            }
        }
        for length in 0..<snapshot.count {
            XCTAssertEqual(kind(Array(snapshot.prefix(length))), .wrongLength, "cut to \(length) bytes")
        }
        XCTAssertEqual(kind(snapshot + [0]), .wrongLength)
        for offset in snapshot.indices {
            var damaged = snapshot
            damaged[offset] ^= 0x10
            let expected: LessorSnapshotError.Kind = switch offset {
            case 0..<4: .notASnapshot
            case 4..<8: .unsupportedVersion
            case 8..<16: .wrongLength
            default: .checksumMismatch
            }
            XCTAssertEqual(kind(damaged), expected, "byte \(offset) flipped")
        }
    }

    func testContentRulesAreChecked() throws {
        let snapshot = try appliedLessor().snapshotBytes()
        func resealed(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = Array(snapshot.dropLast(4))
            change(&bytes)
            let crc = CRC32C.update(0, bytes[...])
            return bytes + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        }
        func message(_ bytes: [UInt8]) -> String {
            do {
                _ = try Lessor(restoringFrom: bytes, minimumTTL: 2, leasedKeys: [])
                return "accepted"
            } catch {
                XCTAssertEqual(error.kind, .malformed)
                return error.message
            }
        }
        // Entries: 5 at 16, 9 at 32, 0x7fff… at 48.
        XCTAssertTrue(message(resealed { $0[32] = 4 }).contains("ascending"))
        XCTAssertTrue(message(resealed { $0[16] = 0 }).contains("lease ID 0"))
        XCTAssertTrue(message(resealed { $0[31] = 0x40 }).contains("above the largest"))
        XCTAssertEqual(CRC32C.update(0, Array("123456789".utf8)[...]), 0xE306_9283)
    }
}
