import EtcdWire
@testable import MVCC
import XCTest

/// `MVCCStore.events(in:from:through:...)` (the watch catch-up read) and `CommitObserver`.
final class HistoryTests: XCTestCase {
    let executor = KVExecutor()

    /// Records what every committed write published: the ground truth history reads must match.
    final class Recorder: CommitObserver {
        var revisions: [(revision: Int64, events: [Event])] = []
        func committed(revision: Int64, events: [Event]) { revisions.append((revision, events)) }

        func events(in keys: KeyRange, from start: Int64, through end: Int64, withPrevKV: Bool) -> [Event] {
            revisions.filter { $0.revision >= start && $0.revision <= end }.flatMap(\.events)
                .filter { keys.contains($0.kv!.key) }
                .map { event in
                    var event = event
                    if !withPrevKV { event.prevKV = nil }
                    return event
                }
        }
    }

    func testObserverSeesEachCommittedRevisionInOrder() throws {
        let store = MVCCStore()
        let recorder = Recorder()
        store.commitObserver = recorder
        _ = try executor.put(putRequest("a", "1"), in: store)
        _ = executor.deleteRange(deleteRequest("nothing"), in: store)  // no change, no revision
        _ = try executor.txn(txnRequest(success: [.put(putRequest("b", "1")), .put(putRequest("c", "1"))]), in: store)
        // A transaction that fails part-way is rolled back and never published.
        XCTAssertThrows(.leaseNotFound) {
            try self.executor.txn(txnRequest(success: [.put(putRequest("d", "1")), .put(putRequest("e", "1", lease: 7))]), in: store)
        }
        _ = executor.deleteRange(deleteRequest("a"), in: store)
        XCTAssertEqual(recorder.revisions.map(\.revision), [2, 3, 4])
        XCTAssertEqual(recorder.revisions.map { $0.events.map { String(decoding: $0.kv!.key, as: UTF8.self) } }, [["a"], ["b", "c"], ["a"]])
        XCTAssertEqual(recorder.revisions[2].events[0].type, .delete)
    }

    func testSingleKeyPrefixAndFromKeyHistory() throws {
        let store = MVCCStore()
        _ = try executor.put(putRequest("a", "1"), in: store)                                    // 2
        _ = try executor.put(putRequest("ab", "1"), in: store)                                   // 3
        _ = try executor.put(putRequest("a", "2"), in: store)                                    // 4
        _ = executor.deleteRange(deleteRequest("a"), in: store)                                  // 5
        _ = try executor.put(putRequest("a", "3"), in: store)                                    // 6
        _ = try executor.txn(txnRequest(success: [.put(putRequest("b", "1")), .delete(deleteRequest("ab"))]), in: store)  // 7

        let single = try store.events(in: .key(bytes("a")), from: 3, through: 7, withPrevKV: true)
        XCTAssertEqual(single.nextRevision, 8)
        XCTAssertEqual(single.events.map(\.type), [.put, .delete, .put])
        XCTAssertEqual(single.events[0].kv, kv("a", "2", create: 2, mod: 4, version: 2))
        XCTAssertEqual(single.events[0].prevKV, kv("a", "1", create: 2, mod: 2, version: 1))
        XCTAssertEqual(single.events[1].kv, KeyValue(key: bytes("a"), createRevision: 0, modRevision: 5, version: 0, value: [], lease: 0))
        XCTAssertEqual(single.events[1].prevKV, kv("a", "2", create: 2, mod: 4, version: 2))
        XCTAssertEqual(single.events[2].kv, kv("a", "3", create: 6, mod: 6, version: 1))
        XCTAssertNil(single.events[2].prevKV, "a re-created key has no previous key-value")

        let prefix = try store.events(in: KeyRange(key: bytes("a"), rangeEnd: bytes("b")), from: 2, through: 7, withPrevKV: false)
        XCTAssertEqual(prefix.events.map { "\($0.type.rawValue)\(String(decoding: $0.kv!.key, as: UTF8.self))@\($0.kv!.modRevision)" },
                       ["0a@2", "0ab@3", "0a@4", "1a@5", "0a@6", "1ab@7"])
        XCTAssertTrue(prefix.events.allSatisfy { $0.prevKV == nil })

        let fromKey = try store.events(in: KeyRange(key: bytes("ab"), rangeEnd: [0]), from: 4, through: 6, withPrevKV: false)
        XCTAssertEqual(fromKey.events.count, 0)
        XCTAssertEqual(fromKey.nextRevision, 7)
        XCTAssertEqual(try store.events(in: .key(bytes("zz")), from: 1, through: 7, withPrevKV: true),
                       HistoryPage(events: [], nextRevision: 8))
    }

    func testPageEndsOnlyBetweenRevisions() throws {
        let store = MVCCStore()
        _ = try executor.put(putRequest("k1", "x"), in: store)                                    // 2
        _ = try executor.txn(txnRequest(success: [.put(putRequest("k2", "x")), .put(putRequest("k3", "x")),
                                                  .put(putRequest("k4", "x"))]), in: store)       // 3
        _ = try executor.put(putRequest("k5", "x"), in: store)                                    // 4
        let all = KeyRange(key: bytes("k"), rangeEnd: bytes("l"))

        var page = try store.events(in: all, from: 2, through: 4, maxEvents: 2, withPrevKV: false)
        XCTAssertEqual(page.events.count, 4, "the transaction at 3 is not split")
        XCTAssertEqual(page.nextRevision, 4)
        page = try store.events(in: all, from: 3, through: 4, maxEvents: 1, withPrevKV: false)
        XCTAssertEqual(page.events.count, 3)
        XCTAssertEqual(page.nextRevision, 4)
        page = try store.events(in: all, from: 2, through: 4, maxBytes: 1, withPrevKV: false)
        XCTAssertEqual(page.events.count, 1)
        XCTAssertEqual(page.nextRevision, 3)
        page = try store.events(in: all, from: 2, through: 3, withPrevKV: false)
        XCTAssertEqual(page.events.count, 4, "`through` bounds the read")
        XCTAssertEqual(page.nextRevision, 4)
    }

    func testCompactedAndFutureRanges() throws {
        let store = MVCCStore()
        for value in 1...5 { _ = try executor.put(putRequest("a", "\(value)"), in: store) }      // 2...6
        // Before any compaction etcd's compaction floor is -1: a start of -1 reads everything.
        XCTAssertEqual(try store.events(in: .key(bytes("a")), from: -1, through: 6, withPrevKV: false).events.count, 5)
        XCTAssertThrows(.compacted) { try store.events(in: .key(bytes("a")), from: -2, through: 6, withPrevKV: false) }
        XCTAssertThrows(.futureRevision) { try store.events(in: .key(bytes("a")), from: 2, through: 7, withPrevKV: false) }

        try store.compact(at: 4)
        XCTAssertThrows(.compacted) { try store.events(in: .key(bytes("a")), from: 3, through: 6, withPrevKV: false) }
        // etcd still serves a start at the compaction revision itself; the key's value before it is gone.
        let page = try store.events(in: .key(bytes("a")), from: 4, through: 6, withPrevKV: true)
        XCTAssertEqual(page.events.map { $0.kv!.modRevision }, [4, 5, 6])
        XCTAssertNil(page.events[0].prevKV)
        XCTAssertEqual(page.events[1].prevKV?.modRevision, 4)
    }

    /// Random writes over a small key space; every history read equals what the writes
    /// published, for random ranges and bounds, before and after a compaction.
    func testRandomHistoryMatchesPublishedEvents() throws {
        for seed: UInt64 in 1...3 {
            var random = SeededGenerator(seed: seed)
            let store = MVCCStore()
            let recorder = Recorder()
            store.commitObserver = recorder
            let keys = (0..<12).map { "k\($0 / 4)\($0 % 4)" }
            func randomKey() -> String { keys.randomElement(using: &random)! }
            var compactedAt: Int64 = 0
            for step in 0..<600 {
                if step == 300 {
                    compactedAt = store.currentRevision - 20
                    try store.compact(at: compactedAt)
                }
                switch Int.random(in: 0..<9, using: &random) {
                case 0..<5:
                    _ = try executor.put(putRequest(randomKey(), "v\(step)"), in: store)
                case 5..<7:
                    let start = randomKey()
                    _ = executor.deleteRange(deleteRequest(start, end: Bool.random(using: &random) ? start + "\u{1}" : "k2"), in: store)
                default:
                    let first = randomKey()
                    let second = keys.filter { $0 != first }.randomElement(using: &random)!
                    _ = try executor.txn(txnRequest(success: [.put(putRequest(first, "t\(step)")), .delete(deleteRequest(second))]), in: store)
                }
            }
            for _ in 0..<300 {
                let low = randomKey()
                let range: KeyRange
                switch Int.random(in: 0..<3, using: &random) {
                case 0: range = .key(bytes(low))
                case 1: range = KeyRange(key: bytes(low), rangeEnd: [0])
                default: range = KeyRange(key: bytes(low), rangeEnd: bytes(randomKey() + "~"))
                }
                let start = Int64.random(in: (compactedAt + 1)...store.currentRevision, using: &random)
                let end = Int64.random(in: start...store.currentRevision, using: &random)
                let withPrevKV = Bool.random(using: &random)
                let page = try store.events(in: range, from: start, through: end, withPrevKV: withPrevKV)
                let expected = recorder.events(in: range, from: start, through: end, withPrevKV: withPrevKV)
                guard page.events == expected, page.nextRevision == end + 1 else {
                    XCTFail("seed \(seed) \(range) \(start)...\(end), prev_kv \(withPrevKV): got \(page), want \(expected)")
                    break
                }
            }
        }
    }
}
