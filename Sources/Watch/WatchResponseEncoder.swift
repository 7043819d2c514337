import EtcdWire

/// Turns queued `WatchOutput`s into encoded `WatchResponse` messages, splitting large event
/// batches into fragments for watchers that asked for them.
public struct WatchResponseEncoder: Sendable {
    public var clusterID: UInt64
    public var memberID: UInt64
    public var raftTerm: UInt64
    /// A fragmenting watcher's response of at least this size, with two events or more, is
    /// split; etcd uses its request limit plus the 512 KiB it allows for gRPC overhead.
    public var fragmentBytes: Int

    public init(clusterID: UInt64, memberID: UInt64, raftTerm: UInt64, fragmentBytes: Int) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.raftTerm = raftTerm
        self.fragmentBytes = fragmentBytes
    }

    /// Encodes `outputs` in order, handing each message to `send`.
    public func encode(_ outputs: [WatchOutput], _ send: ([UInt8]) -> Void) {
        for output in outputs {
            var response = WatchResponse()
            switch output {
            case .created(let watchID, let revision):
                response.header = header(revision)
                response.watchID = watchID
                response.created = true
            case .rejected(let reason, let revision):
                response.header = header(revision)
                response.watchID = -1
                response.created = true
                response.canceled = true
                response.cancelReason = reason
            case .canceled(let watchID, let revision):
                response.header = header(revision)
                response.watchID = watchID
                response.canceled = true
            case .compacted(let watchID, let compactRevision):
                response.header = header(0)
                response.watchID = watchID
                response.canceled = true
                response.compactRevision = compactRevision
            case .progress(let watchID, let revision):
                response.header = header(revision)
                response.watchID = watchID
            case .events(let batch):
                encodeEvents(batch, send)
                continue
            }
            send(response.protobuf())
        }
    }

    private func header(_ revision: Int64) -> ResponseHeader {
        var header = ResponseHeader()
        header.clusterID = clusterID
        header.memberID = memberID
        header.revision = revision
        header.raftTerm = raftTerm
        return header
    }

    /// The batch in one response, or, if it is too large for a watcher that accepts fragments,
    /// in several: each filled until the next event would reach `fragmentBytes` (one event at
    /// least), all marked `fragment` except the last, as etcd splits them.
    private func encodeEvents(_ batch: WatchEventBatch, _ send: ([UInt8]) -> Void) {
        var response = WatchResponse()
        response.header = header(batch.revision)
        response.watchID = batch.watchID
        let events = batch.events[...]
        guard batch.fragmentable, events.count > 1,
              response.encodedSize + eventBytes(events, batch.withPrevKV) >= fragmentBytes else {
            send(response.protobuf(events: events, withPrevKV: batch.withPrevKV))
            return
        }
        response.fragment = true
        let baseBytes = response.encodedSize
        var start = events.startIndex
        while start < events.endIndex {
            var size = baseBytes
            var end = start
            while end < events.endIndex {
                let eventSize = events[end].responseFieldSize(withPrevKV: batch.withPrevKV)
                if end > start, size + eventSize >= fragmentBytes { break }
                size += eventSize
                end += 1
            }
            var part = response
            part.fragment = end < events.endIndex
            send(part.protobuf(events: events[start..<end], withPrevKV: batch.withPrevKV))
            start = end
        }
    }

    private func eventBytes(_ events: ArraySlice<EncodedEvent>, _ withPrevKV: Bool) -> Int {
        events.reduce(0) { $0 + $1.responseFieldSize(withPrevKV: withPrevKV) }
    }
}
