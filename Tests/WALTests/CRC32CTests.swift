import Checksum
import XCTest
@testable import WAL

final class CRC32CTests: XCTestCase {
    func testKnownValues() {
        // The check value of CRC-32C, and two vectors from RFC 3720 (iSCSI), appendix B.4.
        XCTAssertEqual(crc32c(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(crc32c([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(crc32c([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(crc32c([]), 0)
    }

    func testMatchesBitwiseDefinitionAtEveryLengthAndAlignment() {
        var random = SeededRandom(seed: 42)
        let bytes = (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 13) {
                let slice = bytes[start..<end]
                XCTAssertEqual(CRC32C.update(0, slice), bitwiseCRC32C(slice), "bytes \(start)..<\(end)")
            }
        }
    }

    func testUpdateContinuesAChecksum() {
        let first = Array("write-ahead ".utf8)
        let second = Array("log".utf8)
        XCTAssertEqual(CRC32C.update(crc32c(first), second[...]), crc32c(first + second))
    }

    /// The definition, one bit at a time, to check the table-driven version against.
    private func bitwiseCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
