import EtcdWire
import MVCC
@testable import Watch
import XCTest

/// A member restored from its leader's snapshot replaces its store A with a store B that
/// continued A's history (more writes, maybe a compaction) without the hub seeing those writes.
/// `storeReplaced` must let every watcher catch up from B: the events it missed exactly once, in
/// order, or the compaction cancel when B no longer holds them.
final class StoreReplacedTests: XCTestCase {
    func testSyncedWatchersGetWhatTheNewStoreAddedExactlyOnce() throws {
        let h = HubHarness()
        h.put("a", "1")  // 2
        h.put("b", "1")  // 3
        let s = h.hub.openStream()
        h.create(on: s, "a", prevKV: true)
        h.create(on: s, "", end: "\0", filters: [.noDelete])
        h.create(on: s, "b", filters: [.noPut])
        XCTAssertEqual(h.drain(s).count, 3)
        h.put("a", "2")  // 4: published and queued, not yet sent when the store is replaced

        let b = try continued(h.store) { w in
            w.put("a", "3")              // 5
            w.delete("b")                // 6
            w.txn(puts: ["a", "c"])      // 7
            w.put("b", "2")              // 8
        }
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(byWatcher(drain(h, s, from: b)), [
            0: ["0 rev=4 PUT a@4(prev 1@2)", "0 rev=8 PUT a@5(prev 2@4) PUT a@7(prev 3@5)"],
            1: ["1 rev=4 PUT a@4", "1 rev=8 PUT a@5 PUT a@7 PUT c@7 PUT b@8"],
            2: ["2 rev=8 DELETE b@6"],
        ])

        // Back in the synced index: the new store's next write arrives live, once.
        b.commitObserver = h
        StoreWriter(store: b).put("a", "4")  // 9
        XCTAssertEqual(byWatcher(drain(h, s, from: b)), [
            0: ["0 rev=9 PUT a@9(prev t@7)"],
            1: ["1 rev=9 PUT a@9"],
        ])
    }

    func testAWatcherHalfwayThroughCatchUpContinuesWhereItWas() throws {
        var limits = WatchHub.Limits()
        limits.catchUpEvents = 1
        let h = HubHarness(limits: limits)
        h.put("a", "1")  // 2
        h.put("a", "2")  // 3
        h.put("a", "3")  // 4
        let s = h.hub.openStream()
        h.create(on: s, "a", start: 2)  // behind: read one revision per catch-up
        h.create(on: s, "a")            // synced
        _ = h.hub.takeOutput(from: s, maxBytes: .max)
        h.hub.catchUp(on: s, from: h.store)  // the first watcher has read revision 2 only

        let b = try continued(h.store) { w in
            w.put("a", "4")  // 5
            w.put("a", "5")  // 6
        }
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(byWatcher(drain(h, s, from: b)), [
            0: ["0 rev=2 PUT a@2", "0 rev=3 PUT a@3", "0 rev=4 PUT a@4", "0 rev=5 PUT a@5", "0 rev=6 PUT a@6"],
            1: ["1 rev=5 PUT a@5", "1 rev=6 PUT a@6"],
        ])
    }

    func testWatchersBehindTheNewStoresCompactionAreCanceled() throws {
        let h = HubHarness()
        h.put("a", "1")  // 2
        h.put("b", "1")  // 3
        let s = h.hub.openStream()
        h.create(on: s, "a", prevKV: true)   // synced, next 4
        h.create(on: s, "b", start: 2)       // unsynced, next 2
        h.create(on: s, "", end: "\0")       // synced, next 4
        _ = h.hub.takeOutput(from: s, maxBytes: .max)

        let b = try continued(h.store) { w in
            w.put("a", "2")  // 4
            w.put("b", "2")  // 5
            w.put("a", "3")  // 6
        }
        try b.compact(at: 4)  // revision 4 itself is still served
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(byWatcher(drain(h, s, from: b)), [
            // The value before revision 4 was compacted: no prev_kv for that event, as in etcd.
            0: ["0 rev=6 PUT a@4 PUT a@6(prev 2@4)"],
            1: ["1 canceled compact=4 rev=0"],
            2: ["2 rev=6 PUT a@4 PUT b@5 PUT a@6"],
        ])
    }

    func testSyncedWatchersAreCanceledWhenTheNewStoreCompactedPastThem() throws {
        let h = HubHarness()
        h.put("a", "1")  // 2
        let s = h.hub.openStream()
        h.create(on: s, "a")              // synced, next 3
        h.create(on: s, "a", start: 5)    // synced, waiting for revision 5
        XCTAssertEqual(h.drain(s).count, 2)

        let b = try continued(h.store) { w in
            for value in 2...5 { w.put("a", "\(value)") }  // 3...6
        }
        try b.compact(at: 5)
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(byWatcher(drain(h, s, from: b)), [
            0: ["0 canceled compact=5 rev=0"],
            1: ["1 rev=6 PUT a@5 PUT a@6"],
        ])
    }

    /// A watcher created with a start revision still in the future skips everything before it,
    /// whether the new store reaches that revision or not.
    func testAWatcherWaitingForAFutureRevisionSkipsWhatComesBeforeIt() throws {
        let h = HubHarness()
        h.put("a", "1")  // 2
        let s = h.hub.openStream()
        h.create(on: s, "a", start: 5)
        h.create(on: s, "a", start: 20)
        XCTAssertEqual(h.drain(s).map(describe), ["0 created rev=2", "1 created rev=2"])

        let b = try continued(h.store) { w in
            for value in 2...5 { w.put("a", "\(value)") }  // 3...6
        }
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(drain(h, s, from: b).map(describe), ["0 rev=6 PUT a@5 PUT a@6"])

        b.commitObserver = h
        StoreWriter(store: b).put("a", "6")  // 7
        XCTAssertEqual(drain(h, s, from: b).map(describe), ["0 rev=7 PUT a@7"])
    }

    func testAReplacementAtTheSameRevisionChangesNothingForTheClient() throws {
        let h = HubHarness()
        h.put("a", "1")
        let s = h.hub.openStream()
        h.create(on: s, "a")
        _ = h.drain(s)
        let b = try MVCCStore(restoringFrom: h.store.snapshotBytes())
        h.hub.storeReplaced(revision: b.currentRevision)
        XCTAssertEqual(drain(h, s, from: b).map(describe), [])
        XCTAssertEqual(h.hub.synced.count, 1, "caught up again at once")
    }

    /// Random writes, watchers and catch-up progress before the replacement, random writes and
    /// a compaction after it: every watcher's events are its range's history from its start,
    /// exactly once and in order (only a prefix of it, before the compaction, if canceled).
    func testRandomReplacementsGiveEveryWatcherItsHistoryExactlyOnce() throws {
        var outcomes: [Bool: Int] = [:]
        for seed in UInt64(1)...40 {
            var run = ReplacementRun(seed: seed)
            for canceled in try run.run() { outcomes[canceled, default: 0] += 1 }
        }
        // The seeds reach both endings.
        XCTAssertGreaterThan(outcomes[false] ?? 0, 20, "watchers served to the end")
        XCTAssertGreaterThan(outcomes[true] ?? 0, 5, "watchers canceled by the new store's compaction")
    }
}

// MARK: - Helpers

/// Store A's snapshot, continued by `writes` (which the hub never sees).
private func continued(_ store: MVCCStore, _ writes: (StoreWriter) -> Void) throws -> MVCCStore {
    let b = try MVCCStore(restoringFrom: store.snapshotBytes())
    writes(StoreWriter(store: b))
    return b
}

/// `HubHarness.drain`, catching up from `store` instead of the harness's own.
private func drain(_ h: HubHarness, _ stream: WatchStreamID, from store: MVCCStore, maxBytes: Int = .max) -> [WatchResponse] {
    var responses: [WatchResponse] = []
    for _ in 0..<10_000 {
        let (outputs, backlog) = h.hub.takeOutput(from: stream, maxBytes: maxBytes)
        h.encoder.encode(outputs) { responses.append(try! WatchResponse(protobuf: $0)) }
        switch backlog {
        case .none: return responses
        case .output: continue
        case .catchUp: h.hub.catchUp(on: stream, from: store)
        }
    }
    XCTFail("stream \(stream) never drained")
    return responses
}

/// One random scenario of `testRandomReplacementsGiveEveryWatcherItsHistoryExactlyOnce`.
private struct ReplacementRun {
    struct Tracked {
        let id: Int64
        let keys: KeyRange
        let filters: [FilterType]
        let prevKV: Bool
        let firstRevision: Int64
    }

    let seed: UInt64
    var random: SeededGenerator
    /// Gets every write of A and then of B, and is never compacted: the whole history.
    let reference = MVCCStore()
    let h: HubHarness

    init(seed: UInt64) {
        self.seed = seed
        random = SeededGenerator(seed: seed)
        var limits = WatchHub.Limits()
        limits.catchUpEvents = Int.random(in: 1...4, using: &random)
        limits.catchUpBytes = Int.random(in: 64...2048, using: &random)
        h = HubHarness(limits: limits)
    }

    static let keys = ["a", "b", "c", "d", "e"]

    /// The same random write on each of `stores`.
    mutating func randomWrite(on stores: [MVCCStore]) {
        let key = Self.keys.randomElement(using: &random)!
        // A transaction may not put one key twice (the server refuses it before proposing).
        let other = Self.keys.filter { $0 != key }.randomElement(using: &random)!
        let value = "v\(UInt8.random(in: 0...255, using: &random))"
        let choice = Int.random(in: 0..<10, using: &random)
        for store in stores {
            let writer = StoreWriter(store: store)
            switch choice {
            case 0..<6: writer.put(key, value)
            case 6..<8: writer.delete(key)
            case 8: writer.delete("b", end: "d")
            default: writer.txn(puts: [key, other])
            }
        }
    }

    /// Runs the scenario and checks every watcher; returns, per watcher, whether it was canceled.
    mutating func run() throws -> [Bool] {
        // A: writes published to the hub, watchers created along the way.
        let streams = [h.hub.openStream(), h.hub.openStream()]
        var tracked: [WatchStreamID: [Tracked]] = [:]
        var nextID: Int64 = 1
        for _ in 0..<Int.random(in: 5...25, using: &random) {
            if Bool.random(using: &random) {
                let stream = streams.randomElement(using: &random)!
                let (key, end): (String, String) = [("a", ""), ("c", ""), ("b", "d"), ("", "\0"), ("c", "\0")]
                    .randomElement(using: &random)!
                let filters: [FilterType] = [[], [], [.noPut], [.noDelete]].randomElement(using: &random)!
                let prevKV = Bool.random(using: &random)
                let start = Bool.random(using: &random) ? 0 : Int64.random(in: 1...(h.store.currentRevision + 4), using: &random)
                h.create(on: stream, key, end: end, start: start, id: nextID, prevKV: prevKV, filters: filters)
                tracked[stream, default: []].append(Tracked(
                    id: nextID, keys: KeyRange(key: bytes(key), rangeEnd: bytes(end)), filters: filters, prevKV: prevKV,
                    firstRevision: start == 0 ? h.store.currentRevision + 1 : start))
                nextID += 1
            }
            randomWrite(on: [h.store, reference])
            XCTAssertEqual(h.store.currentRevision, reference.currentRevision, "seed \(seed)")
        }
        // Each stream left in a random state: untouched, output taken, or partly caught up.
        var received: [WatchStreamID: [WatchResponse]] = [:]
        for stream in streams {
            switch Int.random(in: 0..<3, using: &random) {
            case 0: break
            case 1:
                let (outputs, _) = h.hub.takeOutput(from: stream, maxBytes: Int.random(in: 1...300, using: &random))
                h.encoder.encode(outputs) { received[stream, default: []].append(try! WatchResponse(protobuf: $0)) }
            default:
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let (outputs, backlog) = h.hub.takeOutput(from: stream, maxBytes: .max)
                    h.encoder.encode(outputs) { received[stream, default: []].append(try! WatchResponse(protobuf: $0)) }
                    if backlog == .catchUp { h.hub.catchUp(on: stream, from: h.store) }
                }
            }
        }

        // B: A's snapshot, more writes the hub never saw, maybe a compaction.
        let b = try MVCCStore(restoringFrom: h.store.snapshotBytes())
        for _ in 0..<Int.random(in: 0...15, using: &random) {
            randomWrite(on: [b, reference])
        }
        XCTAssertEqual(b.currentRevision, reference.currentRevision, "seed \(seed)")
        if Bool.random(using: &random), b.currentRevision > 1 {
            try b.compact(at: Int64.random(in: 1...b.currentRevision, using: &random))
        }
        h.hub.storeReplaced(revision: b.currentRevision)
        for stream in streams {
            received[stream, default: []] += drain(h, stream, from: b, maxBytes: Int.random(in: 50...5000, using: &random))
        }
        // Then B's writes go live.
        b.commitObserver = h
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            randomWrite(on: [b, reference])
        }
        for stream in streams {
            received[stream, default: []] += drain(h, stream, from: b)
        }

        var outcomes: [Bool] = []
        for stream in streams {
            for watcher in tracked[stream] ?? [] {
                let responses = (received[stream] ?? []).filter { $0.watchID == watcher.id }
                check(watcher, got: responses, compaction: b.compactMainRevision)
                outcomes.append(responses.contains(where: \.canceled))
            }
        }
        return outcomes
    }

    func check(_ watcher: Tracked, got responses: [WatchResponse], compaction: Int64) {
        let context = "seed \(seed), watcher \(watcher.id) on \(watcher.keys) from \(watcher.firstRevision)"
        let canceled = responses.filter(\.canceled)
        let events = responses.filter { !$0.canceled }.flatMap(\.events).map { line($0, compaction: compaction) }
        let end = reference.currentRevision
        let history: [String]
        if watcher.firstRevision > end {
            history = []
        } else {
            history = try! reference.events(in: watcher.keys, from: watcher.firstRevision, through: end, withPrevKV: watcher.prevKV)
                .events.filter { event in !watcher.filters.contains { $0 == .noPut ? event.type == .put : event.type == .delete } }
                .map { line($0, compaction: compaction) }
        }
        switch canceled.count {
        case 0:
            XCTAssertEqual(events, history, context)
        case 1:
            XCTAssertEqual(canceled[0].compactRevision, compaction, context)
            XCTAssertTrue(canceled[0].events.isEmpty, context)
            XCTAssertEqual(events, Array(history.prefix(events.count)), "\(context): not a prefix of its history")
            let revisions = responses.filter { !$0.canceled }.flatMap(\.events).map { $0.kv!.modRevision }
            XCTAssertTrue(revisions.allSatisfy { $0 < compaction }, "\(context): events at or after the compaction \(compaction) before the cancel")
            XCTAssertEqual(responses.last?.canceled, true, "\(context): responses after the cancel")
        default:
            XCTFail("\(context): \(canceled.count) cancels")
        }
    }

    /// An event as text. A prev_kv whose revision the new store compacted is not compared: the
    /// reference still has it, the restored store rightly does not.
    func line(_ event: Event, compaction: Int64) -> String {
        let kv = event.kv!
        var text = "\(event.type == .put ? "PUT" : "DELETE") \(WatchTests.text(kv.key))@\(kv.modRevision)"
        if event.type == .put {
            text += "=\(WatchTests.text(kv.value)) c\(kv.createRevision) v\(kv.version) l\(kv.lease)"
        }
        if let previous = event.prevKV, kv.modRevision > compaction {
            text += " prev \(WatchTests.text(previous.value))@\(previous.modRevision)"
        }
        return text
    }
}
