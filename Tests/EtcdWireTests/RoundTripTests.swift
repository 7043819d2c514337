// Round trips of random instances of every message, and a ~10 MB Range response.

import XCTest
@testable import EtcdWire

final class RoundTripTests: XCTestCase {
    func testEveryMessageRoundTrips() throws {
        let seed = testSeed()
        var g = Gen(seed: seed)
        for kind in allKinds {
            try roundTrip(kind.type, count: 200, &g, seed: seed)
        }
    }

    private func roundTrip<M: Sampled>(_ type: M.Type, count: Int, _ g: inout Gen, seed: UInt64) throws {
        for _ in 0..<count {
            let message = M.sample(&g)
            let bytes = message.protobuf()
            let decoded: M
            do {
                decoded = try M(protobuf: bytes)
            } catch {
                return XCTFail("\(M.self): \(error) decoding \(message) (seed \(seed))")
            }
            XCTAssertEqual(decoded, message, "\(M.self) (seed \(seed))")
            XCTAssertEqual(decoded.protobuf(), bytes, "\(M.self): encoding is not canonical (seed \(seed))")
        }
    }

    func testEmptyMessagesEncodeToNothing() throws {
        for kind in allKinds {
            XCTAssertEqual(kind.type.init().protobuf(), [], kind.protoName)
        }
    }

    func testTenMegabyteRangeResponse() throws {
        var g = Gen(seed: 42)
        var response = RangeResponse()
        var header = ResponseHeader()
        header.clusterID = 0x1234_5678_9ABC_DEF0
        header.revision = 1_000_000
        response.header = header
        response.count = 13_000
        for index in 0..<13_000 {
            let valueSize = index % 10 == 0 ? 4_000 : 100 + index % 700
            var value = [UInt8](repeating: 0, count: valueSize)
            for offset in 0..<valueSize where offset % 8 == 0 {
                value[offset] = UInt8(truncatingIfNeeded: g.next())
            }
            let key = Array("/registry/pods/default/pod-\(index)".utf8)
            let revision = Int64(index)
            response.kvs.append(KeyValue(key: key, createRevision: revision + 2, modRevision: revision + 3,
                                         version: revision % 7 + 1, value: value, lease: revision % 3))
        }
        let bytes = response.protobuf()
        XCTAssertGreaterThan(bytes.count, 10_000_000)
        XCTAssertEqual(try RangeResponse(protobuf: bytes), response)

        // The same data one level deeper, as a Txn answers it.
        var txn = TxnResponse()
        txn.succeeded = true
        txn.responses = [ResponseOp(.range(response))]
        let txnBytes = txn.protobuf()
        let opSize = 1 + varintSize(UInt64(bytes.count)) + bytes.count
        XCTAssertEqual(txnBytes.count, 2 + 1 + varintSize(UInt64(opSize)) + opSize)
        XCTAssertEqual(try TxnResponse(protobuf: txnBytes), txn)
    }
}
