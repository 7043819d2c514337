import EtcdWire
import Foundation
import MVCC
@testable import Watch
import XCTest

/// Random writes interleaved with watchers of random ranges, start revisions and options on
/// several streams, each read back slowly and in random-sized pieces (so streams overflow and
/// fall back to history), with progress requests, ticks, cancels and compactions. Afterwards
/// every watcher's events must be its range's history from its start, in order, with no gap or
/// duplicate (a prefix of it if it was canceled or compacted), each revision's events in one
/// response, and no progress answer promising a revision whose events came later.
///
/// A failure names its seed; rerun one with `WATCH_PROPERTY_SEED=<seed>`.
final class WatchPropertyTests: XCTestCase {
    func testEveryWatcherSeesItsRangesHistoryExactlyOnceInOrder() {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64] = environment["WATCH_PROPERTY_SEED"].flatMap(UInt64.init).map { [$0] } ?? Array(1...12)
        for seed in seeds {
            PropertyRun(seed: seed).run(steps: 600)
        }
    }
}

private final class PropertyRun {
    /// What the test knows about one watcher it created.
    final class Tracked {
        let stream: WatchStreamID
        var id: Int64?
        let keys: KeyRange
        let filters: [FilterType]
        let prevKV: Bool
        /// The first revision whose events it must get.
        let firstRevision: Int64
        var responses: [WatchResponse] = []
        var isCanceled = false
        /// A canceled or compacted response arrived; progress for the stream no longer concerns it.
        var hasEnded = false

        init(stream: WatchStreamID, id: Int64?, keys: KeyRange, filters: [FilterType], prevKV: Bool, firstRevision: Int64) {
            self.stream = stream
            self.id = id
            self.keys = keys
            self.filters = filters
            self.prevKV = prevKV
            self.firstRevision = firstRevision
        }
    }

    let seed: UInt64
    var random: SeededGenerator
    let harness: HubHarness
    var streams: [WatchStreamID] = []
    var watchers: [Tracked] = []
    /// Per stream: creates whose `created` response has not arrived, in order (as a client
    /// matches server-assigned IDs), and the watchers known by ID.
    var awaitingCreated: [WatchStreamID: [Tracked]] = [:]
    var byID: [WatchStreamID: [Int64: Tracked]] = [:]
    var nextClientID: Int64 = 100
    var failed = false
    let keys = ["a", "b", "b1", "b2", "c", "d", "d1", "e"]

    init(seed: UInt64) {
        self.seed = seed
        random = SeededGenerator(seed: seed)
        var limits = WatchHub.Limits()
        limits.outboxBytes = Int.random(in: 200...3000, using: &random)
        limits.catchUpBytes = Int.random(in: 50...1000, using: &random)
        limits.catchUpEvents = Int.random(in: 1...20, using: &random)
        harness = HubHarness(limits: limits)
        harness.encoder.fragmentBytes = Int.random(in: 100...600, using: &random)
        streams = (0..<3).map { _ in harness.hub.openStream() }
    }

    func run(steps: Int) {
        for _ in 0..<steps {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40: write()
            case 40..<50: createWatcher()
            case 50..<53: cancelWatcher()
            case 53..<85: flush(streams.randomElement(using: &random)!, maxBytes: Int.random(in: 50...2000, using: &random))
            case 85..<90: harness.hub.requestProgress(on: streams.randomElement(using: &random)!)
            case 90..<94: harness.hub.progressTick(on: streams.randomElement(using: &random)!)
            case 94..<96: compact()
            default: break
            }
        }
        for stream in streams { flush(stream, maxBytes: .max, untilEmpty: true) }
        for watcher in watchers where !failed { check(watcher) }
    }

    // MARK: Steps

    func randomKey() -> String { keys.randomElement(using: &random)! }

    func write() {
        switch Int.random(in: 0..<4, using: &random) {
        case 0, 1: harness.put(randomKey(), "v\(Int.random(in: 0..<1000, using: &random))")
        case 2:
            let start = randomKey()
            harness.delete(start, end: Bool.random(using: &random) ? "" : start + "~")
        default:
            let chosen = Array(keys.shuffled(using: &random).prefix(3))
            harness.txn(puts: Array(chosen.prefix(2)), deletes: Array(chosen.suffix(1)))
        }
    }

    func createWatcher() {
        let stream = streams.randomElement(using: &random)!
        let key = randomKey()
        let end: String
        switch Int.random(in: 0..<3, using: &random) {
        case 0: end = ""
        case 1: end = "\0"
        default: end = key + "~"
        }
        let current = harness.store.currentRevision
        let compacted = harness.store.compactMainRevision
        var start: Int64
        switch Int.random(in: 0..<3, using: &random) {
        case 0: start = 0
        case 1: start = current + Int64.random(in: 1...4, using: &random)
        default: start = Int64.random(in: max(1, compacted - 3)...current, using: &random)
        }
        // A start exactly at the compaction revision reads a history that has lost that
        // revision's deletes, as in etcd; keep it out of the comparison.
        if start == compacted { start += 1 }
        let filters: [FilterType] = [[], [], [.noPut], [.noDelete]].randomElement(using: &random)!
        let prevKV = Bool.random(using: &random)
        let clientID: Int64? = Bool.random(using: &random) ? nil : { nextClientID += 1; return nextClientID }()
        let tracked = Tracked(stream: stream, id: clientID, keys: KeyRange(key: bytes(key), rangeEnd: bytes(end)),
                              filters: filters, prevKV: prevKV, firstRevision: start == 0 ? current + 1 : start)
        watchers.append(tracked)
        awaitingCreated[stream, default: []].append(tracked)
        harness.create(on: stream, key, end: end, start: start, id: clientID ?? 0, prevKV: prevKV, filters: filters,
                       progress: Bool.random(using: &random), fragment: Bool.random(using: &random))
    }

    func cancelWatcher() {
        guard let watcher = watchers.filter({ $0.id != nil && !$0.isCanceled }).randomElement(using: &random) else { return }
        watcher.isCanceled = true
        harness.hub.cancel(watchID: watcher.id!, on: watcher.stream)
    }

    /// Compacts a little behind the head, unless a watcher would next read exactly there.
    func compact() {
        let target = harness.store.currentRevision - Int64.random(in: 0...15, using: &random)
        guard target > harness.store.compactMainRevision else { return }
        let touchesAReader = harness.hub.streams.values.contains { stream in
            stream.watchers.values.contains { $0.nextRevision == target }
        }
        guard !touchesAReader else { return }
        try! harness.store.compact(at: target)
    }

    func flush(_ stream: WatchStreamID, maxBytes: Int, untilEmpty: Bool = false) {
        repeat {
            let (outputs, backlog) = harness.hub.takeOutput(from: stream, maxBytes: maxBytes)
            harness.encoder.encode(outputs) { route(try! WatchResponse(protobuf: $0), on: stream) }
            switch backlog {
            case .none: return
            case .output: break
            case .catchUp: harness.hub.catchUp(on: stream, from: harness.store)
            }
        } while untilEmpty
    }

    /// Hands a response to its watcher, as a client does; progress for every watcher (-1) goes
    /// to each watcher of the stream that exists by then.
    func route(_ response: WatchResponse, on stream: WatchStreamID) {
        if response.created {
            let tracked = awaitingCreated[stream]!.removeFirst()
            if response.canceled {
                expect(false, "create refused: \(response.cancelReason)")
                return
            }
            expect(tracked.id == nil || tracked.id == response.watchID, "created answered with ID \(response.watchID)")
            tracked.id = response.watchID
            byID[stream, default: [:]][response.watchID] = tracked
            tracked.responses.append(response)
        } else if response.watchID == -1 {
            for tracked in byID[stream, default: [:]].values where !tracked.hasEnded { tracked.responses.append(response) }
        } else if let tracked = byID[stream]?[response.watchID] {
            tracked.responses.append(response)
            if response.canceled { tracked.hasEnded = true }
        } else {
            expect(false, "response for unknown watcher \(response.watchID)")
        }
    }

    // MARK: Checks

    func check(_ watcher: Tracked) {
        let what = "watcher \(watcher.id ?? -1) on stream \(watcher.stream) (\(watcher.keys), from \(watcher.firstRevision))"
        guard let created = watcher.responses.first, created.created else {
            expect(false, "\(what): no created response")
            return
        }
        // Join fragments as the client does.
        var merged: [WatchResponse] = []
        var pending: WatchResponse?
        for response in watcher.responses.dropFirst() {
            if var partial = pending {
                partial.events += response.events
                partial.fragment = response.fragment
                pending = partial
            } else {
                pending = response
            }
            if !pending!.fragment {
                merged.append(pending!)
                pending = nil
            }
        }
        expect(pending == nil, "\(what): a fragment was never completed")

        var delivered: [Event] = []
        var promised: Int64 = 0
        var ended: String?
        var seenRevisions = Set<Int64>()
        for response in merged {
            // A compacted watcher keeps its ID, so a later cancel is still answered, as in etcd.
            let isCancelAfterCompaction = ended == "compacted" && response.canceled && response.compactRevision == 0
            expect(ended == nil || isCancelAfterCompaction, "\(what): \(describe(response)) after it ended (\(ended ?? ""))")
            if response.compactRevision != 0 {
                ended = "compacted"
                expect(response.canceled && watcher.firstRevision < response.compactRevision, "\(what): bad compaction \(describe(response))")
                continue
            }
            if response.canceled {
                ended = "canceled"
                expect(watcher.isCanceled, "\(what): canceled without asking")
                continue
            }
            let revision = response.header!.revision
            if response.events.isEmpty {
                expect(revision >= promised, "\(what): progress went back to \(revision) from \(promised)")
                promised = max(promised, revision)
                continue
            }
            var revisionsHere = Set<Int64>()
            for event in response.events {
                let eventRevision = event.kv!.modRevision
                expect(eventRevision <= revision, "\(what): event at \(eventRevision) in a response at \(revision)")
                expect(eventRevision > promised, "\(what): event at \(eventRevision) after progress promised \(promised)")
                expect(!seenRevisions.contains(eventRevision), "\(what): revision \(eventRevision) split across responses")
                revisionsHere.insert(eventRevision)
            }
            seenRevisions.formUnion(revisionsHere)
            delivered += response.events
        }

        let expected = expectedEvents(for: watcher)
        if ended == nil {
            expect(delivered == expected, "\(what): got \(summary(delivered))\nwant \(summary(expected))")
        } else {
            expect(Array(expected.prefix(delivered.count)) == delivered,
                   "\(what) (\(ended!)): got \(summary(delivered))\nwant a prefix of \(summary(expected))")
        }
    }

    func expectedEvents(for watcher: Tracked) -> [Event] {
        let filter = EventFilter(watcher.filters)
        var events: [Event] = []
        for (revision, published) in harness.published where revision >= watcher.firstRevision {
            for event in published where watcher.keys.contains(event.kv!.key) && !filter.drops(event.type) {
                var event = event
                if !watcher.prevKV { event.prevKV = nil }
                events.append(event)
            }
        }
        return events
    }

    func summary(_ events: [Event]) -> String {
        events.map { ($0.type == .put ? "PUT " : "DEL ") + text($0.kv!.key) + "@\($0.kv!.modRevision)" + ($0.prevKV == nil ? "" : "+prev") }
            .joined(separator: " ")
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String, line: UInt = #line) {
        guard !condition, !failed else { return }
        failed = true
        XCTFail("seed \(seed): \(message())", line: line)
    }
}
