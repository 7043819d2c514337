/// Identifies one gRPC watch stream within a `WatchHub`.
public typealias WatchStreamID = Int

/// The hub's view of one gRPC watch stream: its watchers, the responses waiting to be sent,
/// and the watchers waiting to be caught up from history.
final class WatchStreamState {
    let id: WatchStreamID
    var watchers: [Int64: Watcher] = [:]
    /// Where the search for a free ID starts when the client lets the server choose: etcd
    /// numbers from 0 per stream, skipping IDs in use, and never goes back.
    var nextAutoID: Int64 = 0
    var outbox = WatchOutbox()
    /// Behind the published revision, in the order they will be caught up.
    var unsynced: [Watcher] = []
    /// The server was told this stream has something to flush and has not yet flushed it empty.
    var isFlushRequested = false
    /// A progress request waits until no watcher of the stream is behind.
    var isProgressRequested = false

    init(id: WatchStreamID) {
        self.id = id
    }
}
