import EtcdWire
import MVCC

/// Every watcher of the member and the fan-out of published events to them.
///
/// Pure and single-owner, like `MVCCStore`: no threads, clocks or I/O; the server serializes
/// every call. The writer calls `publish` for each committed revision; each stream's owner
/// creates and cancels watchers, takes the responses queued for it (`takeOutput`) and, when
/// told to, lets the hub read history to catch its lagging watchers up (`catchUp`).
///
/// Watchers are synced (in `synced`, given each revision as it is published) or unsynced
/// (behind, queued on their stream). A watcher that starts in the past begins unsynced; a
/// synced watcher whose stream has `Limits.outboxBytes` queued becomes unsynced rather than
/// letting the queue grow, so a slow client never holds up the writer or other streams. Catch-up
/// reads its missed revisions from the store at the stream's pace, and the watcher rejoins the
/// synced index once it has read up to the published revision.
public final class WatchHub {
    public struct Limits: Sendable {
        /// Past this many queued bytes, a stream's watchers stop getting live events and are
        /// caught up from history once the stream has drained.
        public var outboxBytes = 1 << 20
        /// How many bytes of history one `catchUp` call queues for a stream, at most.
        public var catchUpBytes = 256 << 10
        /// How many events one watcher reads per catch-up read (etcd batches 1000 revisions).
        public var catchUpEvents = 1000

        public init() {}
    }

    /// What a stream still has after `takeOutput`.
    public enum Backlog: Equatable, Sendable {
        /// Nothing: the stream is flushed, and will be named by `takeStreamsToFlush` once it has
        /// output again.
        case none
        /// More queued responses.
        case output
        /// Watchers to catch up: call `catchUp` (with the store held still), then take again.
        case catchUp
    }

    /// The newest revision published: every event up to it has been offered to the watchers.
    public internal(set) var revision: Int64
    let limits: Limits
    var streams: [WatchStreamID: WatchStreamState] = [:]
    var synced = WatcherIndex()
    private var nextStreamID: WatchStreamID = 0
    var streamsToFlush: [WatchStreamID] = []
    /// Scratch for `publish`: stamps the watchers an event batch touched.
    var publishMark: UInt64 = 0

    public init(revision: Int64, limits: Limits = Limits()) {
        self.revision = revision
        self.limits = limits
    }

    // MARK: Streams

    public func openStream() -> WatchStreamID {
        defer { nextStreamID += 1 }
        streams[nextStreamID] = WatchStreamState(id: nextStreamID)
        return nextStreamID
    }

    public func closeStream(_ id: WatchStreamID) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        for watcher in stream.watchers.values where watcher.state == .synced {
            synced.remove(watcher)
        }
    }

    /// The streams that got output since they were last flushed empty; each is named once
    /// until `takeOutput` reports it flushed.
    public func takeStreamsToFlush() -> [WatchStreamID] {
        defer { streamsToFlush = [] }
        return streamsToFlush
    }

    /// Removes and returns about `maxBytes` of the stream's queued responses, oldest first.
    public func takeOutput(from id: WatchStreamID, maxBytes: Int) -> (outputs: [WatchOutput], backlog: Backlog) {
        guard let stream = streams[id] else { return ([], .none) }
        let outputs = stream.outbox.isEmpty ? [] : stream.outbox.take(maxBytes: maxBytes)
        if !stream.outbox.isEmpty { return (outputs, .output) }
        if !stream.unsynced.isEmpty { return (outputs, .catchUp) }
        stream.isFlushRequested = false
        return (outputs, .none)
    }

    // MARK: Requests

    /// Registers a watcher as etcd does and queues its `created` response (or the refusal).
    public func create(_ request: WatchCreateRequest, on id: WatchStreamID) {
        guard let stream = streams[id] else { return }
        guard let spec = WatchSpec(request) else {
            enqueue(.rejected(reason: "mvcc: watcher range is empty", revision: revision), on: stream)
            return
        }
        let watchID: Int64
        if spec.requestedID != 0 {
            guard stream.watchers[spec.requestedID] == nil else {
                enqueue(.rejected(reason: "mvcc: duplicate watch ID provided on the WatchStream", revision: revision), on: stream)
                return
            }
            watchID = spec.requestedID
        } else {
            while stream.watchers[stream.nextAutoID] != nil { stream.nextAutoID += 1 }
            watchID = stream.nextAutoID
            stream.nextAutoID += 1
        }
        // Start 0 means the next revision. A start beyond the published revision is synced at
        // once and skips what comes before it; anything older is read from history first.
        let start = spec.startRevision == 0 ? revision + 1 : spec.startRevision
        let isSynced = start > revision
        let watcher = Watcher(id: watchID, stream: stream, spec: spec,
                              state: isSynced ? .synced : .unsynced, nextRevision: start)
        stream.watchers[watchID] = watcher
        enqueue(.created(watchID: watchID, revision: revision), on: stream)
        if isSynced {
            synced.insert(watcher)
        } else {
            stream.unsynced.append(watcher)
        }
    }

    /// Cancels a watcher and queues `canceled`; an unknown ID gets no answer, as in etcd.
    public func cancel(watchID: Int64, on id: WatchStreamID) {
        guard let stream = streams[id], let watcher = stream.watchers.removeValue(forKey: watchID) else { return }
        switch watcher.state {
        case .synced: synced.remove(watcher)
        case .unsynced: stream.unsynced.removeAll { $0 === watcher }
        case .compacted: break
        }
        stream.outbox.removeEvents(of: watchID)
        enqueue(.canceled(watchID: watchID, revision: revision), on: stream)
        answerProgressRequestIfCaughtUp(stream)
    }

    /// A progress request: `{header(revision), watch_id -1}` once every watcher of the stream
    /// has been given everything up to that revision, which is at once unless some are behind.
    /// etcd 3.4 answers at once even when some are behind, with a revision it has not
    /// delivered; waiting makes the answer true.
    public func requestProgress(on id: WatchStreamID) {
        guard let stream = streams[id] else { return }
        stream.isProgressRequested = true
        answerProgressRequestIfCaughtUp(stream)
    }

    /// The progress-notify interval passed: each synced watcher that asked for progress
    /// notifications and got no events since the last tick is told the published revision.
    public func progressTick(on id: WatchStreamID) {
        guard let stream = streams[id] else { return }
        for watcher in stream.watchers.values where watcher.wantsProgress {
            if watcher.state == .synced, !watcher.hadEventsSinceProgressTick {
                enqueue(.progress(watchID: watcher.id, revision: revision), on: stream)
            }
            watcher.hadEventsSinceProgressTick = false
        }
    }

    // MARK: Shared by the extensions

    func enqueue(_ output: WatchOutput, on stream: WatchStreamState) {
        stream.outbox.append(output)
        if !stream.isFlushRequested {
            stream.isFlushRequested = true
            streamsToFlush.append(stream.id)
        }
    }

    /// Ends a watcher's live delivery: it will re-read history from `nextRevision` on.
    func desync(_ watcher: Watcher, from nextRevision: Int64) {
        synced.remove(watcher)
        watcher.state = .unsynced
        watcher.nextRevision = nextRevision
        watcher.stream.unsynced.append(watcher)
    }

    func answerProgressRequestIfCaughtUp(_ stream: WatchStreamState) {
        guard stream.isProgressRequested, stream.unsynced.isEmpty else { return }
        stream.isProgressRequested = false
        enqueue(.progress(watchID: -1, revision: revision), on: stream)
    }
}
