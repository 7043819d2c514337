import EtcdWire
import MVCC
@testable import Watch
import XCTest

/// How a create request is read, as etcd reads it.
final class WatchSpecTests: XCTestCase {
    func testKeyAndRangeEndConventions() throws {
        func keys(_ key: [UInt8], _ end: [UInt8]) -> KeyRange? {
            var request = WatchCreateRequest()
            request.key = key
            request.rangeEnd = end
            return WatchSpec(request)?.keys
        }
        XCTAssertEqual(keys(bytes("a"), []), .key(bytes("a")))
        XCTAssertEqual(keys([], []), .key([0]), "an empty key is the smallest key")
        XCTAssertEqual(keys([], [0]), KeyRange(start: [0], end: .unbounded), "every key")
        XCTAssertEqual(keys(bytes("a"), [0]), KeyRange(start: bytes("a"), end: .unbounded))
        XCTAssertEqual(keys(bytes("a"), bytes("b")), KeyRange(start: bytes("a"), end: .exclusive(bytes("b"))))
        XCTAssertNil(keys(bytes("b"), bytes("a")))
        XCTAssertNil(keys(bytes("a"), bytes("a")))
    }

    /// Clients send the filters packed (proto3) or unpacked (older encoders); both count, and
    /// values etcd does not know are ignored.
    func testFiltersPackedOrUnpacked() throws {
        let packed = try WatchCreateRequest(protobuf: [0x0a, 0x01, 0x61, 0x2a, 0x03, 0x00, 0x01, 0x07])
        let unpacked = try WatchCreateRequest(protobuf: [0x0a, 0x01, 0x61, 0x28, 0x01, 0x28, 0x00])
        for request in [packed, unpacked] {
            let filters = try XCTUnwrap(WatchSpec(request)).filters
            XCTAssertTrue(filters.drops(.put))
            XCTAssertTrue(filters.drops(.delete))
        }
        let noDelete = try WatchCreateRequest(protobuf: [0x0a, 0x01, 0x61, 0x28, 0x01])
        XCTAssertEqual(try XCTUnwrap(WatchSpec(noDelete)).filters, .noDelete)
    }
}
