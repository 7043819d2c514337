// Malformed input must throw WireError: never trap, hang or allocate for lengths that are not there.

import XCTest
@testable import EtcdWire

final class MalformedInputTests: XCTestCase {
    private func assertThrows<M: ProtoMessage>(
        _ type: M.Type, _ bytes: [UInt8], _ expected: WireError, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try M(protobuf: bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? WireError, expected, file: file, line: line)
        }
    }

    func testTruncated() {
        assertThrows(PutRequest.self, [0x18], .truncated)                        // tag, no value
        assertThrows(PutRequest.self, [0x18, 0x80], .truncated)                  // varint cut short
        assertThrows(PutRequest.self, [0x80], .truncated)                        // tag cut short
        assertThrows(PutRequest.self, [0x0A], .truncated)                        // no length
        assertThrows(PutRequest.self, [0xA1, 0x06, 1, 2, 3], .truncated)         // fixed64 cut short
        assertThrows(PutRequest.self, [0xA5, 0x06, 1, 2, 3], .truncated)         // fixed32 cut short
        assertThrows(PutRequest.self, [0xA3, 0x06, 0x08, 0x01], .truncated)      // group never closed
    }

    func testVarintOverflow() {
        assertThrows(PutRequest.self, [0x18] + Array(repeating: 0xFF, count: 10) + [0x01], .varintTooLong)
        assertThrows(PutRequest.self, Array(repeating: 0x80, count: 11) + [0x00], .varintTooLong)
    }

    func testLengthPastEnd() {
        assertThrows(PutRequest.self, [0x0A, 0x05, 0x61, 0x62], .lengthOutOfBounds(field: 1, length: 5))
        assertThrows(PutRequest.self, [0xA2, 0x06, 0x02, 0x00], .lengthOutOfBounds(field: 100, length: 2))
        // A huge claimed length is rejected before anything is allocated for it.
        assertThrows(SnapshotResponse.self, [0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
                     .lengthOutOfBounds(field: 3, length: UInt64(Int64.max)))
        assertThrows(WatchCreateRequest.self, [0x2A, 0x05, 0x00], .lengthOutOfBounds(field: 5, length: 5))
    }

    func testNestedLengthOverrunsItsParent() {
        // The KeyValue claims 3 bytes, its key claims 5: the key would fit the buffer but not the KeyValue.
        assertThrows(RangeResponse.self, [0x12, 0x03, 0x0A, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65],
                     .lengthOutOfBounds(field: 1, length: 5))
        // A packed run whose last varint crosses the end of the run.
        assertThrows(WatchCreateRequest.self, [0x2A, 0x01, 0x80, 0x01], .truncated)
        // A varint crossing the end of its message.
        assertThrows(RangeResponse.self, [0x12, 0x02, 0x10, 0x80, 0x01], .truncated)
    }

    func testBadWireTypes() {
        assertThrows(PutRequest.self, [0x0E], .invalidWireType(field: 1, wireType: 6))
        assertThrows(PutRequest.self, [0xA7, 0x06], .invalidWireType(field: 100, wireType: 7))
        assertThrows(PutRequest.self, [0x08, 0x01], .wrongWireType(field: 1, wireType: 0))
        assertThrows(PutRequest.self, [0x1A, 0x00], .wrongWireType(field: 3, wireType: 2))
        assertThrows(RangeResponse.self, [0x10, 0x01], .wrongWireType(field: 2, wireType: 0))
        assertThrows(WatchCreateRequest.self, [0x2D, 0, 0, 0, 0], .wrongWireType(field: 5, wireType: 5))
        assertThrows(PutRequest.self, [0xA4, 0x06], .unmatchedEndGroup(field: 100))
        assertThrows(PutRequest.self, [0xA3, 0x06, 0xAC, 0x06], .unmatchedEndGroup(field: 101))
    }

    func testInvalidFieldNumbers() {
        assertThrows(PutRequest.self, [0x00, 0x00], .invalidFieldNumber(0))
        assertThrows(PutRequest.self, [0x02, 0x00], .invalidFieldNumber(0))
        assertThrows(PutRequest.self, [0x80, 0x80, 0x80, 0x80, 0x10, 0x00], .invalidFieldNumber(1 << 29))
        // The largest legal field number is just an unknown field.
        XCTAssertEqual(try PutRequest(protobuf: [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]), PutRequest())
    }

    func testInvalidUTF8() {
        assertThrows(HealthCheckRequest.self, [0x0A, 0x02, 0xC3, 0x28], .invalidUTF8(field: 1))
        assertThrows(Member.self, [0x1A, 0x01, 0xFF], .invalidUTF8(field: 3))
        assertThrows(HealthCheckRequest.self, [0x0A, 0x03, 0xED, 0xA0, 0x80], .invalidUTF8(field: 1))
    }

    private func nestedTxn(levels: Int) -> TxnRequest {
        var txn = TxnRequest()
        for _ in 0..<levels {
            var outer = TxnRequest()
            outer.success = [RequestOp(.txn(txn))]
            txn = outer
        }
        return txn
    }

    func testNestedTxnDepthLimit() throws {
        // Each Txn level costs two message levels (RequestOp, TxnRequest); the limit is 100.
        let deepest = nestedTxn(levels: 50)
        XCTAssertEqual(try TxnRequest(protobuf: deepest.protobuf()), deepest)
        assertThrows(TxnRequest.self, nestedTxn(levels: 51).protobuf(), .nestingTooDeep(limit: ProtoReader.maxDepth))
    }

    func testDeepNestingIsRejectedWithoutRecursingFurther() {
        // 100 000 levels of RequestOp { request_txn { success { ... } } }, built inside out, reversed.
        let levels = 100_000
        var reversed: [UInt8] = []
        for level in 0..<levels {
            var length = UInt64(reversed.count)
            var prefix: [UInt8] = [(levels - 1 - level) % 2 == 0 ? 0x22 : 0x12]   // request_txn / success
            while length >= 0x80 {
                prefix.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            prefix.append(UInt8(length))
            reversed.append(contentsOf: prefix.reversed())
        }
        let bytes = Array(reversed.reversed())
        XCTAssertThrowsError(try RequestOp(protobuf: bytes)) {
            XCTAssertEqual($0 as? WireError, .nestingTooDeep(limit: ProtoReader.maxDepth))
        }
        let manyGroups = Array([[UInt8]](repeating: [0xA3, 0x06], count: 500).joined())
        assertThrows(PutRequest.self, manyGroups, .nestingTooDeep(limit: ProtoReader.maxDepth))
    }

    func testEveryErrorDescribesItself() {
        let errors: [WireError] = [
            .truncated, .varintTooLong, .lengthOutOfBounds(field: 1, length: 9), .invalidFieldNumber(0),
            .invalidWireType(field: 1, wireType: 6), .wrongWireType(field: 1, wireType: 0),
            .unmatchedEndGroup(field: 3), .nestingTooDeep(limit: 100), .invalidUTF8(field: 2),
        ]
        for error in errors {
            XCTAssertTrue(error.description.hasPrefix("protobuf: "), error.description)
        }
        XCTAssertEqual(Set(errors.map(\.description)).count, errors.count)
    }

    /// Random bytes, truncations and bit flips of valid encodings, fed to every decoder.
    /// Whatever decodes must re-encode to something that decodes to the same value.
    func testFuzzNeverCrashes() throws {
        let seed = testSeed()
        var g = Gen(seed: seed)
        var decoded = 0
        for round in 0..<20_000 {
            let kind = allKinds[round % allKinds.count]
            let input: [UInt8]
            switch round % 4 {
            case 0:
                input = (0..<g.below(40)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            case 1:
                let valid = kind.type.sample(&g).protobuf()
                input = Array(valid.prefix(g.below(valid.count + 1)))
            default:
                var valid = kind.type.sample(&g).protobuf()
                for _ in 0...g.below(3) where !valid.isEmpty {
                    valid[g.below(valid.count)] ^= UInt8(1) << UInt8(g.below(8))
                }
                input = valid
            }
            if try checkStable(kind.type, input, seed: seed) { decoded += 1 }
        }
        XCTAssertGreaterThan(decoded, 1000, "seed \(seed)")
    }

    private func checkStable<M: Sampled>(_ type: M.Type, _ input: [UInt8], seed: UInt64) throws -> Bool {
        guard let message = try? M(protobuf: input) else { return false }
        let again = try M(protobuf: message.protobuf())
        XCTAssertEqual(again, message, "\(M.self) from \(input) (seed \(seed))")
        return true
    }
}
