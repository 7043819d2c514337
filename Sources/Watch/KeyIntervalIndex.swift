import MVCC

/// The upper end of a watched key interval.
enum IntervalEnd: Equatable {
    /// Keys sort before this one (exclusive).
    case before([UInt8])
    /// Every key from the start on.
    case unbounded

    func isAfter(_ key: [UInt8]) -> Bool {
        switch self {
        case .before(let end): return ByteOrder.less(key, end)
        case .unbounded: return true
        }
    }

    func isAfter(_ other: IntervalEnd) -> Bool {
        switch (self, other) {
        case (.before(let a), .before(let b)): return ByteOrder.less(b, a)
        case (.unbounded, .before): return true
        case (_, .unbounded): return false
        }
    }
}

/// Range watchers grouped by their key interval, answering "which intervals hold this key"
/// in O(log n + matches) rather than by testing every interval.
///
/// The distinct intervals sit in an array sorted by start; the array doubles as an implicit
/// balanced search tree (the root of positions `lo..<hi` is `(lo + hi) / 2`), and each node
/// records the largest end in its subtree, so a lookup skips every subtree that ends before
/// the key. Adding or removing an interval rebuilds those maxima in O(n); adding or removing a
/// watcher of an interval already present costs O(log n). Watch churn is rare next to events.
struct KeyIntervalIndex {
    struct Interval {
        var start: [UInt8]
        var end: IntervalEnd
        var watchers: [Watcher]
    }

    private(set) var intervals: [Interval] = []
    /// Per tree node (array position), the largest `end` in its subtree.
    private var subtreeMaxEnd: [IntervalEnd] = []

    /// Adds `watcher` to the group of its interval; sets its `indexSlot` within that group.
    mutating func insert(_ watcher: Watcher, start: [UInt8], end: IntervalEnd) {
        let position = firstPosition(notBefore: start, end)
        if position < intervals.count, intervals[position].start == start, intervals[position].end == end {
            watcher.indexSlot = intervals[position].watchers.count
            intervals[position].watchers.append(watcher)
            return
        }
        watcher.indexSlot = 0
        intervals.insert(Interval(start: start, end: end, watchers: [watcher]), at: position)
        rebuildMaxima()
    }

    mutating func remove(_ watcher: Watcher, start: [UInt8], end: IntervalEnd) {
        let position = firstPosition(notBefore: start, end)
        precondition(position < intervals.count && intervals[position].start == start && intervals[position].end == end,
                     "removing a watcher whose interval is not indexed")
        let slot = watcher.indexSlot
        precondition(intervals[position].watchers[slot] === watcher, "watcher slot out of date")
        let last = intervals[position].watchers.count - 1
        if slot != last {
            intervals[position].watchers.swapAt(slot, last)
            intervals[position].watchers[slot].indexSlot = slot
        }
        intervals[position].watchers.removeLast()
        watcher.indexSlot = -1
        if intervals[position].watchers.isEmpty {
            intervals.remove(at: position)
            rebuildMaxima()
        }
    }

    /// Calls `body` with the watchers of every interval that holds `key`.
    func forEachGroup(containing key: [UInt8], _ body: ([Watcher]) -> Void) {
        visit(0, intervals.count, key, body)
    }

    private func visit(_ low: Int, _ high: Int, _ key: [UInt8], _ body: ([Watcher]) -> Void) {
        guard low < high else { return }
        let node = (low + high) / 2
        guard subtreeMaxEnd[node].isAfter(key) else { return }
        visit(low, node, key, body)
        // Intervals right of `node` start no earlier than it does; if it starts after `key`,
        // none of them can hold `key`.
        guard !ByteOrder.less(key, intervals[node].start) else { return }
        if intervals[node].end.isAfter(key) {
            body(intervals[node].watchers)
        }
        visit(node + 1, high, key, body)
    }

    /// The first position whose interval sorts at or after (start, end): by start, then end.
    private func firstPosition(notBefore start: [UInt8], _ end: IntervalEnd) -> Int {
        var low = 0
        var high = intervals.count
        while low < high {
            let mid = (low + high) / 2
            let order = ByteOrder.compare(intervals[mid].start, start)
            let before = order < 0 || (order == 0 && end.isAfter(intervals[mid].end))
            if before { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func rebuildMaxima() {
        subtreeMaxEnd = intervals.map(\.end)
        _ = computeMaxima(0, intervals.count)
    }

    private mutating func computeMaxima(_ low: Int, _ high: Int) -> IntervalEnd? {
        guard low < high else { return nil }
        let node = (low + high) / 2
        var largest = intervals[node].end
        if let left = computeMaxima(low, node), left.isAfter(largest) { largest = left }
        if let right = computeMaxima(node + 1, high), right.isAfter(largest) { largest = right }
        subtreeMaxEnd[node] = largest
        return largest
    }
}
