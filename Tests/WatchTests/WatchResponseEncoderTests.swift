import EtcdWire
import MVCC
@testable import Watch
import XCTest

final class WatchResponseEncoderTests: XCTestCase {
    /// The header etcd puts on every watch response; a compaction cancel carries revision 0.
    func testHeadersAndControlResponses() throws {
        let encoder = WatchResponseEncoder(clusterID: 11, memberID: 22, raftTerm: 3, fragmentBytes: 100)
        var responses: [WatchResponse] = []
        encoder.encode([.created(watchID: 0, revision: 9), .compacted(watchID: 4, compactRevision: 7), .progress(watchID: -1, revision: 9)]) {
            responses.append(try! WatchResponse(protobuf: $0))
        }
        XCTAssertEqual(responses.map { $0.header }, [
            header(revision: 9), header(revision: 0), header(revision: 9),
        ])
        XCTAssertEqual(responses.map(describe), ["0 created rev=9", "4 canceled compact=7 rev=0", "-1 rev=9"])
    }

    /// A large batch for a watcher that asked for fragments is split as etcd splits it: each
    /// part filled while below the limit, `fragment` on all but the last; otherwise one message.
    func testLargeBatchesAreFragmentedOnlyForWatchersThatAskForIt() throws {
        let h = HubHarness()
        h.encoder.fragmentBytes = 300
        let s = h.hub.openStream()
        h.create(on: s, "k", end: "l", fragment: true)
        h.create(on: s, "k", end: "l")
        h.create(on: s, "k0", fragment: true)
        _ = h.drain(s)
        h.txn(puts: (0..<10).map { "k\($0)" + String(repeating: "x", count: 40) } + ["k0"])
        let (outputs, _) = h.hub.takeOutput(from: s, maxBytes: .max)
        var responses: [(size: Int, response: WatchResponse)] = []
        h.encoder.encode(outputs) { responses.append(($0.count, try! WatchResponse(protobuf: $0))) }

        let parts = responses.filter { $0.response.watchID == 0 }
        XCTAssertGreaterThan(parts.count, 2)
        XCTAssertEqual(parts.map(\.response.fragment), Array(repeating: true, count: parts.count - 1) + [false])
        XCTAssertTrue(parts.dropLast().allSatisfy { $0.size < 300 })
        let whole = responses.filter { $0.response.watchID == 1 }
        XCTAssertEqual(whole.count, 1, "no fragments without asking")
        XCTAssertGreaterThan(whole[0].size, 300)
        XCTAssertEqual(parts.flatMap(\.response.events), whole[0].response.events)
        XCTAssertEqual(responses.filter { $0.response.watchID == 2 }.count, 1, "a single event is never split")
    }

    private func header(revision: Int64) -> ResponseHeader {
        var header = ResponseHeader()
        header.clusterID = 11
        header.memberID = 22
        header.revision = revision
        header.raftTerm = 3
        return header
    }
}
