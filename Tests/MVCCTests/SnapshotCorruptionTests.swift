import EtcdWire
@testable import MVCC
import XCTest

/// Damaged, truncated and hostile snapshots are refused with an error that says what is wrong,
/// never a crash, and never a store that differs from what the bytes say.
final class SnapshotCorruptionTests: XCTestCase {
    private lazy var snapshot: [UInt8] = {
        let store = MVCCStore()
        var workload = SnapshotWorkload(seed: 11)
        for _ in 0..<300 { _ = workload.step(store) }
        return store.snapshotBytes()
    }()

    private func decodingError(_ bytes: [UInt8]) -> MVCCSnapshotError? {
        do {
            _ = try MVCCStore(restoringFrom: bytes)
            return nil
        } catch {
            return error
        }
    }

    func testTruncationAnywhereIsReportedAsTruncated() {
        for length in Array(0..<64) + Array(stride(from: 64, to: snapshot.count, by: 7)) {
            let error = decodingError(Array(snapshot.prefix(length)))
            XCTAssertEqual(error?.kind, .wrongLength, "cut to \(length) bytes: \(String(describing: error))")
            XCTAssertTrue(error?.message.contains("truncated") == true, "cut to \(length) bytes: \(String(describing: error))")
        }
    }

    func testTrailingBytesAreRefused() {
        let error = decodingError(snapshot + [0])
        XCTAssertEqual(error?.kind, .wrongLength)
        XCTAssertTrue(error?.message.contains("trailing") == true, String(describing: error))
    }

    func testEveryFlippedByteIsCaught() {
        for offset in 0..<snapshot.count {
            var damaged = snapshot
            damaged[offset] ^= 1 << UInt8(offset % 8)
            let expected: MVCCSnapshotError.Kind = switch offset {
            case 0..<4: .notASnapshot
            case 4..<8: .unsupportedVersion
            case 8..<16: .wrongLength
            default: .checksumMismatch
            }
            let error = decodingError(damaged)
            XCTAssertEqual(error?.kind, expected, "byte \(offset) flipped: \(String(describing: error))")
        }
        XCTAssertEqual(decodingError(Array(snapshot.dropLast(4)) + [0, 0, 0, 0])?.description.contains("damaged"), true)
    }

    func testOtherFilesAndVersionsAreNamed() {
        XCTAssertEqual(decodingError(Array("leas....".utf8))?.kind, .notASnapshot)
        var later = snapshot
        later[4] = 2
        let error = decodingError(later)
        XCTAssertEqual(error?.kind, .unsupportedVersion)
        XCTAssertEqual(error?.description, "mvcc snapshot: format version 2; this build reads version 1 (at byte 4)")
    }

    /// Random changes with the checksum made right again: the decoder either refuses them as
    /// malformed, or what it restores writes exactly those bytes again (nothing is lost or
    /// silently changed), and it never traps.
    func testResealedMutationsAreRefusedOrRestoredExactly() {
        var random = SeededGenerator(seed: 12)
        var refused = 0
        for attempt in 0..<3000 {
            let mutated = resealed(snapshot) { bytes in
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let offset = Int.random(in: 16..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[offset] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.remove(at: offset)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: offset)
                    }
                }
            }
            do {
                let store = try MVCCStore(restoringFrom: mutated)
                XCTAssertEqual(store.snapshotBytes(), mutated, "attempt \(attempt): accepted bytes must be what the store writes")
                store.index.checkInvariants()
            } catch {
                XCTAssertEqual(error.kind, .malformed, "attempt \(attempt): \(error)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 300, "most random changes break a rule")
    }

    func testHostileCountsAndLengthsAllocateNothing() {
        // The revisions section claims 2^40 keys and changes.
        let manyKeys = resealed(snapshot) { bytes in
            for index in 0..<8 {
                bytes[41 + index] = index == 5 ? 1 : 0
                bytes[49 + index] = index == 5 ? 1 : 0
            }
        }
        XCTAssertEqual(decodingError(manyKeys)?.kind, .malformed)
        XCTAssertTrue(decodingError(manyKeys)?.message.contains("cannot fit") == true, String(describing: decodingError(manyKeys)))

        // The keys section claims to run past the end.
        let longSection = resealed(snapshot) { bytes in
            bytes[58 + 7] = 0x7F
        }
        XCTAssertTrue(decodingError(longSection)?.message.contains("claims") == true, String(describing: decodingError(longSection)))

        // A key length of 2^63 - 1.
        let hugeKey = SnapshotBuilder(current: 2).key(length: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], key: []).bytes
        XCTAssertTrue(decodingError(hugeKey)?.message.contains("key length") == true, String(describing: decodingError(hugeKey)))
    }
}

/// Writes snapshots by hand, following docs/storage-format.md rather than the encoder, for the
/// rules a real store can never break.
struct SnapshotBuilder {
    var current: Int64
    var compacted: Int64 = -1
    var keyCount = 0
    var changeCount = 0
    var keysSection: [UInt8] = []

    init(current: Int64, compacted: Int64 = -1) {
        self.current = current
        self.compacted = compacted
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// Adds raw key bytes with a raw length field.
    func key(length: [UInt8], key: [UInt8], rest: [UInt8] = []) -> SnapshotBuilder {
        var copy = self
        copy.keysSection += length + key + rest
        copy.keyCount += 1
        return copy
    }

    /// A key with one generation of puts `(main, sub, value)` and, if `tombstone`, its delete.
    func key(_ name: String, created: (Int64, Int64)? = nil, version: Int64? = nil,
             puts: [(Int64, Int64)], tombstone: (Int64, Int64)? = nil) -> SnapshotBuilder {
        var copy = self
        let revisions = puts + (tombstone.map { [$0] } ?? [])
        var body = Self.varint(UInt64(name.utf8.count)) + Array(name.utf8)
        body += Self.varint(tombstone == nil ? 1 : 2)
        body += Self.varint(UInt64(revisions.count))
        let first = created ?? revisions[0]
        body += Self.varint(UInt64(first.0)) + Self.varint(UInt64(first.1)) + Self.varint(UInt64(version ?? Int64(revisions.count)))
        for (main, sub) in puts {
            body += Self.varint(UInt64(main)) + Self.varint(UInt64(sub)) + Self.varint(0) + Self.varint(1) + [0x76]
        }
        if let (main, sub) = tombstone { body += Self.varint(UInt64(main)) + Self.varint(UInt64(sub)) + [0] }
        copy.keysSection += body
        copy.keyCount += 1
        copy.changeCount += revisions.count
        return copy
    }

    var bytes: [UInt8] {
        var bytes = Array("mvcc".utf8) + [1, 0, 0, 0] + Self.littleEndian(0)
        bytes += [1] + Self.littleEndian(32)
        bytes += Self.littleEndian(UInt64(bitPattern: current)) + Self.littleEndian(UInt64(bitPattern: compacted))
        bytes += Self.littleEndian(UInt64(keyCount)) + Self.littleEndian(UInt64(changeCount))
        bytes += [2] + Self.littleEndian(UInt64(keysSection.count)) + keysSection
        return resealed(bytes + [0, 0, 0, 0]) { _ in }
    }
}
