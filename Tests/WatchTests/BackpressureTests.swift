import EtcdWire
import MVCC
@testable import Watch
import XCTest

/// A stream that is not read never holds up the writer or other streams; once it drains, its
/// watchers are caught up from history with nothing lost or repeated.
final class BackpressureTests: XCTestCase {
    func testASlowStreamFallsBackToHistoryWithoutGapsOrDuplicates() {
        var limits = WatchHub.Limits()
        limits.outboxBytes = 400
        limits.catchUpBytes = 300
        let h = HubHarness(limits: limits)
        let slow = h.hub.openStream()
        let fast = h.hub.openStream()
        h.create(on: slow, "k", end: "l", prevKV: true)
        h.create(on: slow, "k1")
        h.create(on: fast, "k", end: "l", prevKV: true)
        _ = h.drain(fast)

        var fastResponses: [WatchResponse] = []
        for step in 0..<200 {
            h.put("k\(step % 3)", "v\(step)")
            fastResponses += h.drain(fast)
        }
        let slowStream = h.hub.streams[slow]!
        XCTAssertEqual(slowStream.unsynced.count, 2, "both watchers of the unread stream left the synced index")
        XCTAssertLessThan(slowStream.outbox.bytes, 600, "the unread stream's queue stayed bounded")
        XCTAssertEqual(fastResponses.count, 200, "the other stream got every revision live")

        let slowResponses = h.drain(slow, maxBytes: 500)
        XCTAssertEqual(slowResponses.filter { $0.watchID == 0 && !$0.created }.flatMap(\.events),
                       fastResponses.flatMap(\.events))
        let keyEvents = slowResponses.filter { $0.watchID == 1 && !$0.created }.flatMap(\.events)
        XCTAssertEqual(keyEvents.map { $0.kv!.modRevision }, Array(stride(from: 3, through: 201, by: 3)))
        XCTAssertTrue(slowResponses.allSatisfy { response in response.events.allSatisfy { $0.kv!.modRevision <= response.header!.revision } })

        // Caught up, both are live again.
        h.put("k1", "last")
        XCTAssertEqual(h.drain(slow).map(describe).sorted(), ["0 rev=202 PUT k1@202(prev v199@201)", "1 rev=202 PUT k1@202"])
    }
}
