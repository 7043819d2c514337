// Reader and writer unit tests: varints, defaults, packed and unpacked repeats, unknown fields.

import XCTest
@testable import EtcdWire

final class WireFormatTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    private func readVarint(_ bytes: [UInt8]) throws -> UInt64 {
        try ProtoReader.withReader(bytes[...]) { reader in
            let value = try reader.readVarint()
            XCTAssertNil(try reader.nextTag(), "the varint must use up the input")
            return value
        }
    }

    func testVarintBoundaries() throws {
        let cases: [(Int64, String)] = [
            (127, "08 7f"),
            (128, "08 80 01"),
            (16_384, "08 80 80 01"),
            (1 << 32, "08 80 80 80 80 10"),
            (Int64.max, "08 ff ff ff ff ff ff ff ff 7f"),
            (Int64.min, "08 80 80 80 80 80 80 80 80 80 01"),
            (-1, "08 ff ff ff ff ff ff ff ff ff 01"),
        ]
        for (value, expected) in cases {
            var message = WatchCancelRequest()
            message.watchID = value
            XCTAssertEqual(hex(message.protobuf()), expected, "watch_id \(value)")
            XCTAssertEqual(try WatchCancelRequest(protobuf: message.protobuf()), message)
        }
        XCTAssertEqual(WatchCancelRequest().protobuf(), [], "zero is the default and is omitted")

        var header = ResponseHeader()
        header.clusterID = UInt64.max
        XCTAssertEqual(hex(header.protobuf()), "08 ff ff ff ff ff ff ff ff ff 01")
    }

    func testNegativeEnumTakesTenBytes() throws {
        var request = RangeRequest()
        request.sortOrder = SortOrder(rawValue: -1)
        XCTAssertEqual(hex(request.protobuf()), "28 ff ff ff ff ff ff ff ff ff 01")
        XCTAssertEqual(try RangeRequest(protobuf: request.protobuf()).sortOrder.rawValue, -1)
    }

    func testReaderVarints() throws {
        XCTAssertEqual(try readVarint([0x00]), 0)
        XCTAssertEqual(try readVarint([0x7F]), 127)
        XCTAssertEqual(try readVarint([0x80, 0x01]), 128)
        XCTAssertEqual(try readVarint([0x80, 0x80, 0x80, 0x80, 0x10]), 1 << 32)
        XCTAssertEqual(try readVarint([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), UInt64.max)
        // Non-minimal encodings are legal.
        XCTAssertEqual(try readVarint([0x81, 0x80, 0x80, 0x00]), 1)
        XCTAssertThrowsError(try readVarint([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00])) {
            XCTAssertEqual($0 as? WireError, .varintTooLong)
        }
        XCTAssertThrowsError(try readVarint([0x80, 0x80])) { XCTAssertEqual($0 as? WireError, .truncated) }
        XCTAssertThrowsError(try readVarint([])) { XCTAssertEqual($0 as? WireError, .truncated) }
    }

    func testVarintSize() {
        for shift in 0..<64 {
            let value = UInt64(1) << UInt64(shift)
            XCTAssertEqual(varintSize(value), shift / 7 + 1, "2^\(shift)")
            XCTAssertEqual(varintSize(value - 1), max(1, (shift + 6) / 7), "2^\(shift)-1")
        }
        XCTAssertEqual(varintSize(UInt64.max), 10)
    }

    func testDefaultsAreOmittedAndPresenceIsKept() throws {
        XCTAssertEqual(PutRequest().protobuf(), [])
        var response = PutResponse()
        response.header = ResponseHeader()
        XCTAssertEqual(hex(response.protobuf()), "0a 00", "a present empty message is written")
        XCTAssertEqual(try PutResponse(protobuf: [0x0A, 0x00]).header, ResponseHeader())
        XCTAssertNil(try PutResponse(protobuf: []).header)

        var compare = Compare()
        compare.targetUnion = .version(0)
        XCTAssertEqual(hex(compare.protobuf()), "20 00", "a oneof member set to zero is written")
        XCTAssertEqual(try Compare(protobuf: [0x20, 0x00]).targetUnion, .version(0))
        compare.targetUnion = .value([])
        XCTAssertEqual(hex(compare.protobuf()), "3a 00")
    }

    func testFieldsComeOutInNumberOrder() {
        var compare = Compare()
        compare.rangeEnd = [0x62]
        compare.key = [0x61]
        compare.result = .greater
        compare.targetUnion = .lease(5)
        XCTAssertEqual(hex(compare.protobuf()), "08 01 1a 01 61 40 05 82 04 01 62")
    }

    func testRepeatedEnumsPackedAndUnpacked() throws {
        let expected: [FilterType] = [.noPut, .noDelete, FilterType(rawValue: 5)]
        let packed: [UInt8] = [0x2A, 0x03, 0x00, 0x01, 0x05]
        let unpacked: [UInt8] = [0x28, 0x00, 0x28, 0x01, 0x28, 0x05]
        let mixed: [UInt8] = [0x28, 0x00, 0x2A, 0x02, 0x01, 0x05]
        let split: [UInt8] = [0x2A, 0x01, 0x00, 0x30, 0x01, 0x2A, 0x02, 0x01, 0x05]
        for input in [packed, unpacked, mixed, split] {
            XCTAssertEqual(try WatchCreateRequest(protobuf: input).filters, expected, hex(input))
        }
        var request = WatchCreateRequest()
        request.filters = expected
        XCTAssertEqual(request.protobuf(), packed, "proto3 writes repeated enums packed")
        request.filters = [FilterType(rawValue: -2)]
        XCTAssertEqual(hex(request.protobuf()), "2a 0a fe ff ff ff ff ff ff ff ff 01")
        XCTAssertEqual(try WatchCreateRequest(protobuf: request.protobuf()), request)
        XCTAssertEqual(try WatchCreateRequest(protobuf: [0x2A, 0x00]).filters, [], "an empty packed run")
    }

    func testRepeatedBytesAndStringsKeepEmptyElements() throws {
        var response = LeaseTimeToLiveResponse()
        response.keys = [[], [0x61], []]
        XCTAssertEqual(hex(response.protobuf()), "2a 00 2a 01 61 2a 00")
        XCTAssertEqual(try LeaseTimeToLiveResponse(protobuf: response.protobuf()), response)

        var member = Member()
        member.peerURLs = ["", "http://a"]
        XCTAssertEqual(try Member(protobuf: member.protobuf()), member)
    }

    /// Unknown fields of every wire type, including nested groups, are skipped.
    func testUnknownFieldsOfEveryWireTypeAreSkipped() throws {
        var put = PutRequest()
        put.key = Array("k".utf8)
        put.lease = 7
        let unknown: [UInt8] = [
            0xA0, 0x06, 0x96, 0x01,                               // field 100, varint 150
            0xA9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,                   // field 101, fixed64
            0xB2, 0x06, 0x03, 0x61, 0x62, 0x63,                   // field 102, length-delimited
            0xBB, 0x06,                                           // field 103, start group
            0x08, 0x01, 0x15, 1, 2, 3, 4,                         //   varint and fixed32 inside
            0xC3, 0x06, 0x12, 0x00, 0xC4, 0x06,                   //   nested group 104 with a field
            0xBC, 0x06,                                           // end group 103
            0xC5, 0x06, 9, 9, 9, 9,                               // field 104, fixed32
        ]
        let encoded = put.protobuf()
        XCTAssertEqual(try PutRequest(protobuf: unknown + encoded), put)
        XCTAssertEqual(try PutRequest(protobuf: encoded + unknown), put)
        XCTAssertEqual(try PutRequest(protobuf: Array(encoded[0..<3]) + unknown + Array(encoded[3...])), put)

        // Inside a nested message too.
        var range = RangeResponse()
        var kv = KeyValue()
        kv.key = [1]
        range.kvs = [kv]
        let nested: [UInt8] = [0x12, UInt8(3 + unknown.count), 0x0A, 0x01, 0x01] + unknown
        XCTAssertEqual(try RangeResponse(protobuf: nested), range)

        // Field-less messages skip everything.
        XCTAssertEqual(try StatusRequest(protobuf: unknown), StatusRequest())
    }

    func testRepeatedSingularFieldsMerge() throws {
        // Scalars: last one wins. Messages: merged field by field.
        let input: [UInt8] = [
            0x0A, 0x02, 0x08, 0x05,     // header { cluster_id: 5 }
            0x0A, 0x02, 0x18, 0x09,     // header { revision: 9 }
            0x10, 0x01, 0x10, 0x02,     // watch_id 1, then 2
        ]
        let response = try WatchResponse(protobuf: input)
        XCTAssertEqual(response.header?.clusterID, 5)
        XCTAssertEqual(response.header?.revision, 9)
        XCTAssertEqual(response.watchID, 2)

        // A oneof: the same member merges, a different member replaces.
        let op = try RequestOp(protobuf: [0x0A, 0x02, 0x0A, 0x00, 0x0A, 0x02, 0x18, 0x03])
        var range = RangeRequest()
        range.limit = 3
        XCTAssertEqual(op.request, .range(range))
        let replaced = try RequestOp(protobuf: [0x0A, 0x02, 0x18, 0x03, 0x12, 0x00])
        XCTAssertEqual(replaced.request, .put(PutRequest()))
    }

    func testBoolAcceptsAnyNonZeroVarint() throws {
        XCTAssertTrue(try PutRequest(protobuf: [0x20, 0x80, 0x01]).prevKV)
        XCTAssertFalse(try PutRequest(protobuf: [0x20, 0x80, 0x00]).prevKV)
    }

    func testUInt32FieldTruncatesLikeProtobuf() throws {
        let response = try HashResponse(protobuf: [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        XCTAssertEqual(response.hash, UInt32.max)
    }

    func testStringsAreUTF8() throws {
        var request = HealthCheckRequest()
        request.service = "é日🙂\u{0}"
        XCTAssertEqual(request.protobuf(), [0x0A, UInt8(request.service.utf8.count)] + Array(request.service.utf8))
        XCTAssertEqual(try HealthCheckRequest(protobuf: request.protobuf()), request)
    }

    func testDecodesFromASliceWithNonZeroStart() throws {
        var put = PutRequest()
        put.key = [1, 2, 3]
        let buffer: [UInt8] = [0xEE, 0xEE] + put.protobuf() + [0xEE]
        XCTAssertEqual(try PutRequest(protobuf: buffer[2..<(buffer.count - 1)]), put)
    }

    func testHealthServingMatchesObservedEtcdBytes() {
        var response = HealthCheckResponse()
        response.status = .serving
        XCTAssertEqual(response.protobuf(), [0x08, 0x01])
    }
}
