import EtcdWire
import MVCC

/// The event types a watcher asked not to see (`WatchCreateRequest.filters`).
struct EventFilter: OptionSet {
    let rawValue: UInt8
    static let noPut = EventFilter(rawValue: 1)
    static let noDelete = EventFilter(rawValue: 2)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Unknown filter values are ignored, as etcd ignores them.
    init(_ filters: [FilterType]) {
        self = []
        for filter in filters {
            switch filter {
            case .noPut: insert(.noPut)
            case .noDelete: insert(.noDelete)
            default: break
            }
        }
    }

    func drops(_ type: EventType) -> Bool {
        type == .put ? contains(.noPut) : contains(.noDelete)
    }
}

/// A create request as etcd reads it.
struct WatchSpec {
    var keys: KeyRange
    /// 0 means "from the next revision".
    var startRevision: Int64
    /// 0 means the server picks the ID.
    var requestedID: Int64
    var filters: EventFilter
    var wantsPrevKV: Bool
    var wantsFragments: Bool
    var wantsProgress: Bool

    /// Nil when the range holds no key (`range_end <= key`), which etcd refuses.
    init?(_ request: WatchCreateRequest) {
        // An empty key is the smallest key, "\0"; range_end "\0" means every key from `key` on.
        let key = request.key.isEmpty ? [0] : request.key
        keys = KeyRange(key: key, rangeEnd: request.rangeEnd)
        if case .exclusive(let end) = keys.end, !ByteOrder.less(key, end) { return nil }
        startRevision = request.startRevision
        requestedID = request.watchID
        filters = EventFilter(request.filters)
        wantsPrevKV = request.prevKV
        wantsFragments = request.fragment
        wantsProgress = request.progressNotify
    }
}
