@testable import EtcdServer
import XCTest

/// The SHA-256 that checks a snapshot stream, against FIPS 180-4's examples and against itself
/// fed in pieces.
final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(hex(SHA256.digest([UInt8]())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.digest(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(SHA256.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Padding edge cases: lengths around the 56- and 64-byte boundaries, fed whole and a byte
    /// at a time (expected values from `sha256sum`).
    func testLengthsAroundTheBlockBoundary() {
        let expected = [
            55: "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
            56: "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
            57: "ae14a2563ccf969d99aca69ce6bb74981f734bbf9f655f73b8f06db68cab5217",
            63: "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
            64: "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c",
            65: "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9",
            119: "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c",
            120: "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98",
            128: "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464",
        ]
        for (length, digest) in expected {
            let message = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            XCTAssertEqual(hex(SHA256.digest(message)), digest, "length \(length)")
            var pieces = SHA256()
            for byte in message { pieces.update([byte]) }
            XCTAssertEqual(hex(pieces.finalize()), digest, "length \(length), a byte at a time")
        }
    }

    func testPiecesOfAnySizeGiveTheSameDigest() {
        var generator = SystemRandomNumberGenerator()
        let message = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = SHA256.digest(message)
        for _ in 0..<20 {
            var hasher = SHA256()
            var offset = 0
            while offset < message.count {
                let end = min(message.count, offset + Int.random(in: 0...200, using: &generator))
                hasher.update(message[offset..<end])
                offset = end
            }
            XCTAssertEqual(hasher.finalize(), whole)
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
