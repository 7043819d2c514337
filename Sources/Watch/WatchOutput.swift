import EtcdWire

/// One response a watch stream is to send, before it is encoded. The hub queues these under the
/// server's lock; the stream's event loop encodes them afterwards, outside it.
public enum WatchOutput: Sendable {
    /// A watcher exists: `{header(revision), watch_id, created}`.
    case created(watchID: Int64, revision: Int64)
    /// A create request was refused: `{watch_id -1, created, canceled, cancel_reason}`.
    case rejected(reason: String, revision: Int64)
    /// The client canceled a watcher.
    case canceled(watchID: Int64, revision: Int64)
    /// The watcher's start lies below the compacted revision: `{header(revision 0), watch_id,
    /// canceled, compact_revision}`, as etcd sends it.
    case compacted(watchID: Int64, compactRevision: Int64)
    /// No events, only how far the watcher (or, with watch ID -1, every watcher of the stream)
    /// is caught up.
    case progress(watchID: Int64, revision: Int64)
    case events(WatchEventBatch)

    /// A rough size, for bounding what a stream queues.
    var approximateBytes: Int {
        switch self {
        case .events(let batch): return batch.approximateBytes
        case .rejected(let reason, _): return 32 + reason.utf8.count
        default: return 32
        }
    }
}

/// Events for one watcher in one response (unless fragmenting splits it).
public struct WatchEventBatch: Sendable {
    let watchID: Int64
    /// The header revision: the newest revision the batch covers.
    let revision: Int64
    let events: [EncodedEvent]
    let withPrevKV: Bool
    let fragmentable: Bool
    let approximateBytes: Int

    init(watchID: Int64, revision: Int64, events: [EncodedEvent], withPrevKV: Bool, fragmentable: Bool) {
        self.watchID = watchID
        self.revision = revision
        self.events = events
        self.withPrevKV = withPrevKV
        self.fragmentable = fragmentable
        approximateBytes = events.reduce(32) { $0 + $1.responseFieldSize(withPrevKV: withPrevKV) }
    }
}

/// A stream's queued responses in sending order, and their approximate size.
struct WatchOutbox {
    private(set) var items: [WatchOutput] = []
    private(set) var bytes = 0

    var isEmpty: Bool { items.isEmpty }

    mutating func append(_ item: WatchOutput) {
        items.append(item)
        bytes += item.approximateBytes
    }

    /// Removes and returns the oldest items, about `maxBytes` of them but at least one.
    mutating func take(maxBytes: Int) -> [WatchOutput] {
        var taken = 0
        var count = 0
        while count < items.count, count == 0 || taken < maxBytes {
            taken += items[count].approximateBytes
            count += 1
        }
        bytes -= taken
        if count == items.count {
            defer { items = [] }
            return items
        }
        defer { items.removeFirst(count) }
        return Array(items[..<count])
    }

    /// Drops the queued events of a watcher that is gone; the client would only cancel them.
    mutating func removeEvents(of watchID: Int64) {
        items.removeAll { item in
            guard case .events(let batch) = item, batch.watchID == watchID else { return false }
            bytes -= item.approximateBytes
            return true
        }
    }
}
