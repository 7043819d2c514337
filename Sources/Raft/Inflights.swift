/// The append messages sent to one follower and not yet acknowledged, each remembered by the
/// last index it carried. A leader stops sending when `capacity` are outstanding, which bounds
/// the memory a slow follower can tie up in the transport.
struct Inflights: Sendable {
    let capacity: Int
    /// Ring buffer of last indexes, oldest at `start`; grows on demand up to `capacity`.
    private var buffer: [UInt64] = []
    private var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0, "inflight capacity must be positive")
        self.capacity = capacity
    }

    var isFull: Bool { count == capacity }

    /// Records a message whose last entry is `lastIndex`; indexes must be added in order.
    mutating func add(_ lastIndex: UInt64) {
        precondition(!isFull, "adding to a full inflight window")
        if buffer.count < capacity && count == buffer.count {
            // Unwrap the ring while growing so that slot order stays oldest-first.
            buffer = (0..<count).map { buffer[(start + $0) % buffer.count] }
            start = 0
            buffer.append(lastIndex)
        } else {
            buffer[(start + count) % buffer.count] = lastIndex
        }
        count += 1
    }

    /// Frees every message whose last index is at or below `index` (it was acknowledged).
    mutating func free(through index: UInt64) {
        while count > 0 && buffer[start] <= index {
            start = (start + 1) % buffer.count
            count -= 1
        }
        if count == 0 { start = 0 }
    }

    /// Frees the oldest message, so a follower whose acknowledgements were lost can make
    /// progress again after a heartbeat shows it is alive.
    mutating func freeFirst() {
        guard count > 0 else { return }
        free(through: buffer[start])
    }

    mutating func removeAll() {
        start = 0
        count = 0
    }
}
