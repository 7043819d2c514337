import EtcdWire
import MVCC
@testable import Watch
import XCTest

/// The watch stream protocol as etcd 3.4.23 speaks it (see the wire facts, §4), one rule each.
final class WatchHubTests: XCTestCase {
    func testServerAssignsIDsFromZeroSkippingThoseInUseAndNeverReusing() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a")
        h.create(on: s, "a", id: 1)
        h.create(on: s, "a")
        h.hub.cancel(watchID: 0, on: s)
        h.create(on: s, "a")
        XCTAssertEqual(h.drain(s).map(describe), [
            "0 created rev=1", "1 created rev=1", "2 created rev=1", "0 canceled rev=1", "3 created rev=1",
        ])
        // Every stream numbers its own watchers.
        let other = h.hub.openStream()
        h.create(on: other, "a")
        XCTAssertEqual(h.drain(other).map(describe), ["0 created rev=1"])
    }

    func testRefusedCreatesAnswerCreatedAndCanceledWithIDMinusOne() {
        let h = HubHarness()
        h.put("x")
        let s = h.hub.openStream()
        h.create(on: s, "a", id: 7)
        h.create(on: s, "a", id: 7)
        h.create(on: s, "b", end: "a")
        h.create(on: s, "b", end: "b")
        XCTAssertEqual(h.drain(s).map(describe), [
            "7 created rev=2",
            "-1 created canceled reason=mvcc: duplicate watch ID provided on the WatchStream rev=2",
            "-1 created canceled reason=mvcc: watcher range is empty rev=2",
            "-1 created canceled reason=mvcc: watcher range is empty rev=2",
        ])
    }

    func testCancelStopsEventsAndAnUnknownIDGetsNoAnswer() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a")
        h.put("a")
        h.hub.cancel(watchID: 0, on: s)  // its queued event is dropped with it
        h.hub.cancel(watchID: 0, on: s)
        h.hub.cancel(watchID: 42, on: s)
        h.put("a")
        XCTAssertEqual(h.drain(s).map(describe), ["0 created rev=1", "0 canceled rev=2"])
        XCTAssertEqual(h.hub.synced.count, 0)
    }

    func testKeyPrefixAndFromKeyWatchersWithFiltersAndPrevKV() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a", prevKV: true)
        h.create(on: s, "a", end: "b", filters: [.noPut])
        h.create(on: s, "b", end: "\0", filters: [.noDelete])
        h.create(on: s, "", end: "\0")  // an empty key with range end "\0" watches every key
        h.put("a", "1")
        h.put("ab", "1")
        h.put("a", "2")
        h.delete("a")
        h.put("c", "1")
        h.delete("ab", end: "d")
        XCTAssertEqual(byWatcher(h.drain(s)), [
            0: ["0 created rev=1", "0 rev=2 PUT a@2", "0 rev=4 PUT a@4(prev 1@2)", "0 rev=5 DELETE a@5(prev 2@4)"],
            1: ["1 created rev=1", "1 rev=5 DELETE a@5", "1 rev=7 DELETE ab@7"],
            2: ["2 created rev=1", "2 rev=6 PUT c@6"],
            3: ["3 created rev=1", "3 rev=2 PUT a@2", "3 rev=3 PUT ab@3", "3 rev=4 PUT a@4", "3 rev=5 DELETE a@5",
                "3 rev=6 PUT c@6", "3 rev=7 DELETE ab@7 DELETE c@7"],
        ])
    }

    func testATransactionsEventsArriveTogether() {
        let h = HubHarness()
        h.put("p/2")
        let s = h.hub.openStream()
        h.create(on: s, "p/", end: "p0")
        h.create(on: s, "p/3")
        h.create(on: s, "p/", end: "p0", filters: [.noDelete])
        h.txn(puts: ["p/1", "p/3", "q"], deletes: ["p/2"])
        XCTAssertEqual(byWatcher(h.drain(s)), [
            0: ["0 created rev=2", "0 rev=3 PUT p/1@3 PUT p/3@3 DELETE p/2@3"],
            1: ["1 created rev=2", "1 rev=3 PUT p/3@3"],
            2: ["2 created rev=2", "2 rev=3 PUT p/1@3 PUT p/3@3"],
        ])
    }

    func testAFutureStartRevisionSkipsEarlierEvents() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a", start: 4)
        h.put("a")
        h.put("a")
        h.put("a")
        XCTAssertEqual(h.drain(s).map(describe), ["0 created rev=1", "0 rev=4 PUT a@4"])
    }

    func testAPastStartRevisionReplaysHistoryThenGoesLive() {
        let h = HubHarness()
        h.put("a", "1")
        h.put("b", "1")
        h.txn(puts: ["a", "c"])
        let s = h.hub.openStream()
        h.create(on: s, "a", end: "c", start: 2, prevKV: true)
        h.put("a", "3")  // published while the watcher is still behind: it comes from history
        h.put("b", "3")
        XCTAssertEqual(h.drain(s).map(describe), [
            "0 created rev=4",
            "0 rev=6 PUT a@2 PUT b@3 PUT a@4(prev 1@2) PUT a@5(prev t@4) PUT b@6(prev 1@3)",
        ])
        h.put("a", "4")
        XCTAssertEqual(h.drain(s).map(describe), ["0 rev=7 PUT a@7(prev 3@5)"])
    }

    func testCompactedStartIsCreatedThenCanceledWithTheCompactRevision() throws {
        let h = HubHarness()
        // Before any compaction etcd's floor is -1, so a start of -3 is "compacted at -1".
        let s = h.hub.openStream()
        h.create(on: s, "a", start: -3)
        XCTAssertEqual(h.drain(s).map(describe), ["0 created rev=1", "0 canceled compact=-1 rev=0"])

        for value in 1...4 { h.put("a", "\(value)") }  // 2...5
        try h.store.compact(at: 4)
        h.create(on: s, "a", start: 3)
        h.create(on: s, "a", start: 4)  // the compaction revision itself is still served
        XCTAssertEqual(h.drain(s).map(describe), [
            "1 created rev=5", "2 created rev=5",
            "1 canceled compact=4 rev=0",
            "2 rev=5 PUT a@4 PUT a@5",
        ])
        // A compacted watcher keeps its ID until canceled, as in etcd.
        h.create(on: s, "a", id: 1)
        h.hub.cancel(watchID: 1, on: s)
        XCTAssertEqual(h.drain(s).map(describe), [
            "-1 created canceled reason=mvcc: duplicate watch ID provided on the WatchStream rev=5",
            "1 canceled rev=5",
        ])
    }

    func testAWatcherBehindACompactionIsCanceled() throws {
        let h = HubHarness()
        h.put("a")
        h.put("a")
        let s = h.hub.openStream()
        h.create(on: s, "a", start: 2)  // unsynced until its stream is flushed
        _ = h.hub.takeOutput(from: s, maxBytes: .max)
        try h.store.compact(at: 3)
        XCTAssertEqual(h.drain(s).map(describe), ["0 canceled compact=3 rev=0"])
    }

    func testProgressRequestIsAnsweredOnceEveryWatcherIsCaughtUp() {
        let h = HubHarness()
        h.put("a")
        let s = h.hub.openStream()
        h.hub.requestProgress(on: s)  // no watchers: answered at once, as etcd 3.4 does
        XCTAssertEqual(h.drain(s).map(describe), ["-1 rev=2"])

        h.create(on: s, "a", start: 2)
        h.hub.requestProgress(on: s)
        let (outputs, backlog) = h.hub.takeOutput(from: s, maxBytes: .max)
        XCTAssertEqual(outputs.count, 1, "only `created`: the progress answer waits for the catch-up")
        XCTAssertEqual(backlog, .catchUp)
        h.hub.catchUp(on: s, from: h.store)
        XCTAssertEqual(h.drain(s).map(describe), ["0 rev=2 PUT a@2", "-1 rev=2"])
    }

    func testProgressNotifyTellsIdleSyncedWatchersTheRevision() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a", progress: true)
        h.create(on: s, "b", progress: true)
        h.create(on: s, "c")
        _ = h.drain(s)
        h.put("a")
        h.put("z")
        h.hub.progressTick(on: s)
        XCTAssertEqual(h.drain(s).map(describe), ["0 rev=2 PUT a@2", "1 rev=3"])
        h.hub.progressTick(on: s)
        XCTAssertEqual(Set(h.drain(s).map(describe)), ["0 rev=3", "1 rev=3"])
    }

    func testStreamsAreNamedForFlushingOnceUntilFlushedEmpty() {
        let h = HubHarness()
        let s = h.hub.openStream()
        let quiet = h.hub.openStream()
        h.create(on: s, "a")
        h.create(on: quiet, "b")
        XCTAssertEqual(h.hub.takeStreamsToFlush(), [s, quiet])
        _ = h.drain(quiet)
        h.put("a")
        h.put("a")
        XCTAssertEqual(h.hub.takeStreamsToFlush(), [], "s was named and not yet flushed")
        _ = h.drain(s)
        h.put("a")
        XCTAssertEqual(h.hub.takeStreamsToFlush(), [s])
    }

    func testClosingAStreamRemovesItsWatchers() {
        let h = HubHarness()
        let s = h.hub.openStream()
        h.create(on: s, "a")
        h.create(on: s, "a", end: "b")
        XCTAssertEqual(h.hub.synced.count, 2)
        h.hub.closeStream(s)
        XCTAssertEqual(h.hub.synced.count, 0)
        h.put("a")
        XCTAssertEqual(h.drain(s).count, 0)
    }
}
