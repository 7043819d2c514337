import NIOCore

/// Requests sent to one peer and not answered yet, by request ID.
struct PendingPeerRequests {
    struct Entry {
        let promise: EventLoopPromise<[UInt8]>
        var timer: Scheduled<Void>?

        func complete(_ result: Result<[UInt8], PeerTransportError>) {
            timer?.cancel()
            promise.completeWith(result.mapError { $0 })
        }
    }

    private var lastID: UInt64 = 0
    private var entries: [UInt64: Entry] = [:]

    mutating func add(_ promise: EventLoopPromise<[UInt8]>) -> UInt64 {
        lastID += 1
        entries[lastID] = Entry(promise: promise)
        return lastID
    }

    /// False when the request was already answered (the caller then cancels `timer`).
    mutating func setTimer(_ timer: Scheduled<Void>, for id: UInt64) -> Bool {
        guard entries[id] != nil else { return false }
        entries[id]?.timer = timer
        return true
    }

    mutating func remove(_ id: UInt64) -> Entry? {
        entries.removeValue(forKey: id)
    }

    mutating func removeAll() -> [Entry] {
        defer { entries = [:] }
        return Array(entries.values)
    }
}
