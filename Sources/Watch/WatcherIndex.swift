import MVCC

/// The synced watchers, found by the key an event changes: single-key watchers (the common
/// case) in a hash map, range watchers in a `KeyIntervalIndex`. An event costs one hash lookup
/// and one interval query, never a pass over every watcher.
struct WatcherIndex {
    private var byKey: [[UInt8]: [Watcher]] = [:]
    private var ranges = KeyIntervalIndex()
    private(set) var count = 0

    mutating func insert(_ watcher: Watcher) {
        count += 1
        switch watcher.keys.end {
        case .singleKey:
            watcher.indexSlot = byKey[watcher.keys.start]?.count ?? 0
            byKey[watcher.keys.start, default: []].append(watcher)
        case .unbounded:
            ranges.insert(watcher, start: watcher.keys.start, end: .unbounded)
        case .exclusive(let end):
            ranges.insert(watcher, start: watcher.keys.start, end: .before(end))
        }
    }

    mutating func remove(_ watcher: Watcher) {
        count -= 1
        switch watcher.keys.end {
        case .singleKey:
            guard var list = byKey.removeValue(forKey: watcher.keys.start) else {
                preconditionFailure("removing a watcher whose key is not indexed")
            }
            let slot = watcher.indexSlot
            precondition(list[slot] === watcher, "watcher slot out of date")
            list.swapAt(slot, list.count - 1)
            list[slot].indexSlot = slot
            list.removeLast()
            watcher.indexSlot = -1
            if !list.isEmpty { byKey[watcher.keys.start] = list }
        case .unbounded:
            ranges.remove(watcher, start: watcher.keys.start, end: .unbounded)
        case .exclusive(let end):
            ranges.remove(watcher, start: watcher.keys.start, end: .before(end))
        }
    }

    /// Calls `body` for every indexed watcher whose keys include `key`.
    func forEachWatcher(watching key: [UInt8], _ body: (Watcher) -> Void) {
        if let list = byKey[key] {
            for watcher in list { body(watcher) }
        }
        ranges.forEachGroup(containing: key) { group in
            for watcher in group { body(watcher) }
        }
    }
}
