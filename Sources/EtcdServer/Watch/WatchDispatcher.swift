import EtcdWire
import MVCC
import NIOConcurrencyHelpers
import NIOCore
import Watch

/// The server's side of the `WatchHub`: guards it with a lock, feeds it every commit, and
/// hands each stream that has output to its event loop to flush.
///
/// Threads and locks: `committed` runs on the apply thread, called by the store from inside a
/// write while the state machine's lock is held; stream requests and flushes run on each
/// stream's event loop. The hub's lock is only ever taken after the state machine's, never
/// before. Catch-up holds both, so no revision can be published between the last revision it
/// reads from history and the watcher's return to the synced index.
final class WatchDispatcher: CommitObserver, @unchecked Sendable {
    // `hub`, `sessions` and `flushQueues` are guarded by `lock`; the rest is immutable.
    private let lock = NIOLock()
    private let hub: WatchHub
    private var sessions: [WatchStreamID: WatchStreamSession] = [:]
    /// Per event loop, the sessions to flush and whether a task to flush them is queued, so a
    /// commit costs one task per event loop, not one per stream.
    private var flushQueues: [ObjectIdentifier: FlushQueue] = [:]
    private let stateMachine: KVStateMachine
    private let baseEncoder: WatchResponseEncoder

    /// The encoder with the member's current Raft term, which changes with elections.
    var encoder: WatchResponseEncoder {
        var encoder = baseEncoder
        encoder.raftTerm = stateMachine.raftTerm
        return encoder
    }
    let progressNotifyInterval: TimeAmount

    private struct FlushQueue {
        var sessions: [WatchStreamSession] = []
        var isScheduled = false
    }

    init(stateMachine: KVStateMachine, encoder: WatchResponseEncoder, progressNotifyInterval: TimeAmount) {
        self.stateMachine = stateMachine
        baseEncoder = encoder
        self.progressNotifyInterval = progressNotifyInterval
        hub = WatchHub(revision: stateMachine.currentRevision)
        stateMachine.observeStore(self)
        precondition(stateMachine.currentRevision == hub.revision, "the store moved while watching was being set up")
    }

    // MARK: Called on the apply thread

    func committed(revision: Int64, events: [Event]) {
        let loops = lock.withLock {
            hub.publish(revision: revision, events: events)
            return queueFlushes()
        }
        schedule(loops)
    }

    /// The store was restored from a snapshot (state machine lock held): watchers catch up
    /// from the new store.
    func storeReplaced(revision: Int64) {
        let loops = lock.withLock {
            hub.storeReplaced(revision: revision)
            return queueFlushes()
        }
        schedule(loops)
    }

    // MARK: Called on a stream's event loop

    func open(_ session: WatchStreamSession) -> WatchStreamID {
        lock.withLock {
            let id = hub.openStream()
            sessions[id] = session
            return id
        }
    }

    func close(_ id: WatchStreamID) {
        lock.withLock {
            hub.closeStream(id)
            sessions[id] = nil
        }
    }

    func create(_ request: WatchCreateRequest, on id: WatchStreamID) {
        perform { $0.create(request, on: id) }
    }

    func cancel(watchID: Int64, on id: WatchStreamID) {
        perform { $0.cancel(watchID: watchID, on: id) }
    }

    func requestProgress(on id: WatchStreamID) {
        perform { $0.requestProgress(on: id) }
    }

    func progressTick(on id: WatchStreamID) {
        perform { $0.progressTick(on: id) }
    }

    func takeOutput(from id: WatchStreamID, maxBytes: Int) -> (outputs: [WatchOutput], backlog: WatchHub.Backlog) {
        lock.withLock { hub.takeOutput(from: id, maxBytes: maxBytes) }
    }

    /// Reads history for the stream's lagging watchers, with the apply loop held off.
    func catchUp(on id: WatchStreamID) {
        stateMachine.withStore { store in
            lock.withLock { hub.catchUp(on: id, from: store) }
        }
    }

    // MARK: Flushing

    private func perform(_ change: (WatchHub) -> Void) {
        let loops = lock.withLock {
            change(hub)
            return queueFlushes()
        }
        schedule(loops)
    }

    /// Moves the streams the hub names into their event loops' queues; returns the loops that
    /// need a flush task. Lock held.
    private func queueFlushes() -> [EventLoop] {
        var loops: [EventLoop] = []
        for id in hub.takeStreamsToFlush() {
            guard let session = sessions[id] else { continue }
            let key = ObjectIdentifier(session.eventLoop)
            flushQueues[key, default: FlushQueue()].sessions.append(session)
            if !flushQueues[key]!.isScheduled {
                flushQueues[key]!.isScheduled = true
                loops.append(session.eventLoop)
            }
        }
        return loops
    }

    private func schedule(_ loops: [EventLoop]) {
        for loop in loops {
            loop.execute { self.runFlushes(on: loop) }
        }
    }

    private func runFlushes(on loop: EventLoop) {
        let due = lock.withLock { () -> [WatchStreamSession] in
            let key = ObjectIdentifier(loop)
            defer { flushQueues[key] = FlushQueue() }
            return flushQueues[key]?.sessions ?? []
        }
        for session in due {
            session.flush()
        }
    }
}
