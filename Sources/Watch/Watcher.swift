import EtcdWire
import MVCC

/// One watcher: what it watches, how far it has been served, and which stream it answers on.
final class Watcher {
    enum State {
        /// In the hub's synced index: gets each revision's events as they are published.
        case synced
        /// Behind the published revision: waits in its stream's catch-up queue.
        case unsynced
        /// Its history was compacted away; it stays registered (its ID in use, as in etcd)
        /// but gets nothing more.
        case compacted
    }

    let id: Int64
    unowned let stream: WatchStreamState
    let keys: KeyRange
    let filters: EventFilter
    let wantsPrevKV: Bool
    let wantsFragments: Bool
    let wantsProgress: Bool
    var state: State
    /// The oldest revision whose events have not been queued for this watcher. For a synced
    /// watcher created with a future start revision, events before it are skipped.
    var nextRevision: Int64
    /// Whether events were queued since the last progress-notify tick; a tick skips it if so.
    var hadEventsSinceProgressTick = false
    /// Position in the list that holds it in `WatcherIndex`, for removal in O(1).
    var indexSlot = -1

    // Scratch space for `WatchHub.publish`, valid while `publishMark` is the hub's current mark:
    // how many of the revision's events match, and the first one.
    var publishMark: UInt64 = 0
    var matchCount = 0
    var firstMatch = 0

    init(id: Int64, stream: WatchStreamState, spec: WatchSpec, state: State, nextRevision: Int64) {
        self.id = id
        self.stream = stream
        self.keys = spec.keys
        self.filters = spec.filters
        self.wantsPrevKV = spec.wantsPrevKV
        self.wantsFragments = spec.wantsFragments
        self.wantsProgress = spec.wantsProgress
        self.state = state
        self.nextRevision = nextRevision
    }

    /// Whether this watcher takes `event`, published or read at `revision`.
    func wants(_ type: EventType, key: [UInt8]) -> Bool {
        !filters.drops(type) && keys.contains(key)
    }
}
