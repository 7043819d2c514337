import EtcdWire
import MVCC
@testable import Watch
import XCTest

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Writes through the KV executor to `store`: the harness's own store, or one the hub does not
/// watch (the store a snapshot brought).
struct StoreWriter {
    let store: MVCCStore
    let executor = KVExecutor()

    @discardableResult
    func put(_ key: String, _ value: String = "v") -> Int64 {
        var request = PutRequest()
        request.key = bytes(key)
        request.value = bytes(value)
        return try! executor.put(request, in: store).revision
    }

    @discardableResult
    func delete(_ key: String, end: String = "") -> Int64 {
        var request = DeleteRangeRequest()
        request.key = bytes(key)
        request.rangeEnd = bytes(end)
        return executor.deleteRange(request, in: store).revision
    }

    /// A transaction that puts each key (value "t") and then deletes each of `deletes`.
    @discardableResult
    func txn(puts: [String], deletes: [String] = []) -> Int64 {
        var request = TxnRequest()
        for key in puts {
            var put = PutRequest()
            put.key = bytes(key)
            put.value = bytes("t")
            request.success.append(RequestOp(.put(put)))
        }
        for key in deletes {
            var delete = DeleteRangeRequest()
            delete.key = bytes(key)
            request.success.append(RequestOp(.deleteRange(delete)))
        }
        return try! executor.txn(request, in: store).revision
    }
}

/// A store whose commits feed a hub, wired as the server wires them, with helpers to write,
/// to make requests and to read back what a stream would send.
final class HubHarness: CommitObserver {
    let store = MVCCStore()
    let hub: WatchHub
    var encoder = WatchResponseEncoder(clusterID: 11, memberID: 22, raftTerm: 3, fragmentBytes: 1 << 20)

    init(limits: WatchHub.Limits = WatchHub.Limits()) {
        hub = WatchHub(revision: store.currentRevision, limits: limits)
        store.commitObserver = self
    }

    /// Every committed revision's events, as the writer published them: the ground truth.
    private(set) var published: [(revision: Int64, events: [Event])] = []

    func committed(revision: Int64, events: [Event]) {
        published.append((revision, events))
        hub.publish(revision: revision, events: events)
    }

    @discardableResult
    func put(_ key: String, _ value: String = "v") -> Int64 { StoreWriter(store: store).put(key, value) }

    @discardableResult
    func delete(_ key: String, end: String = "") -> Int64 { StoreWriter(store: store).delete(key, end: end) }

    /// A transaction that puts each key (value "t") and then deletes each of `deletes`.
    @discardableResult
    func txn(puts: [String], deletes: [String] = []) -> Int64 { StoreWriter(store: store).txn(puts: puts, deletes: deletes) }

    func create(
        on stream: WatchStreamID, _ key: String, end: String = "", start: Int64 = 0, id: Int64 = 0,
        prevKV: Bool = false, filters: [FilterType] = [], progress: Bool = false, fragment: Bool = false
    ) {
        var request = WatchCreateRequest()
        request.key = bytes(key)
        request.rangeEnd = bytes(end)
        request.startRevision = start
        request.watchID = id
        request.prevKV = prevKV
        request.filters = filters
        request.progressNotify = progress
        request.fragment = fragment
        hub.create(request, on: stream)
    }

    /// Everything the stream would send now, decoded: takes its output `maxBytes` at a time and
    /// runs catch-up until the hub reports it flushed.
    func drain(_ stream: WatchStreamID, maxBytes: Int = .max) -> [WatchResponse] {
        var responses: [WatchResponse] = []
        while true {
            let (outputs, backlog) = hub.takeOutput(from: stream, maxBytes: maxBytes)
            encoder.encode(outputs) { responses.append(try! WatchResponse(protobuf: $0)) }
            switch backlog {
            case .none: return responses
            case .output: continue
            case .catchUp: hub.catchUp(on: stream, from: store)
            }
        }
    }
}

/// A response as "<watch id> <flags> rev=<header revision> [events]", for compact assertions.
func describe(_ response: WatchResponse) -> String {
    var parts = ["\(response.watchID)"]
    if response.created { parts.append("created") }
    if response.canceled { parts.append("canceled") }
    if response.compactRevision != 0 { parts.append("compact=\(response.compactRevision)") }
    if !response.cancelReason.isEmpty { parts.append("reason=\(response.cancelReason)") }
    if response.fragment { parts.append("fragment") }
    parts.append("rev=\(response.header?.revision ?? -99)")
    for event in response.events {
        var item = (event.type == .put ? "PUT " : "DELETE ") + text(event.kv!.key) + "@\(event.kv!.modRevision)"
        if let previous = event.prevKV { item += "(prev \(text(previous.value))@\(previous.modRevision))" }
        parts.append(item)
    }
    return parts.joined(separator: " ")
}

/// Each watcher's responses, described, in the order sent: the order that matters (the order
/// between watchers of one stream does not).
func byWatcher(_ responses: [WatchResponse]) -> [Int64: [String]] {
    Dictionary(grouping: responses, by: \.watchID).mapValues { $0.map(describe) }
}

/// A small deterministic generator (SplitMix64), so a failing seed replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
