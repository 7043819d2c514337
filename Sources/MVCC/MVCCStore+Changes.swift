import EtcdWire

// The single changes a write transaction is made of, and their undoing.
extension MVCCStore {
    func applyPut(key: [UInt8], value: [UInt8], lease: Int64, at revision: Revision) -> Event {
        precondition(!key.isEmpty, "etcd keys are never empty")
        // One descent of the index both finds what the put replaces and records the put.
        let replaced = index.update(key, insertingIfMissing: { KeyIndex() }) { keyIndex -> KeyIndex.Found? in
            let current = keyIndex.isLive ? keyIndex.lookup(at: .max) : nil
            keyIndex.put(revision)
            return current
        }
        let previous = replaced.map { storedKeyValue(at: $0.modified) }
        let kv = KeyValue(
            key: key,
            createRevision: replaced?.created.main ?? revision.main,
            modRevision: revision.main,
            version: (replaced?.version ?? 0) + 1,
            value: value,
            lease: lease
        )
        log.append(StoredChange(revision: revision, kv: kv, isTombstone: false))
        if previous == nil { keyCount += 1 }
        return .put(kv, previous: previous)
    }

    func applyTombstone(key: [UInt8], at revision: Revision) -> Event {
        guard let previous = latest(key) else { preconditionFailure("delete of a key that is not live") }
        let tombstone = KeyValue(key: key, createRevision: 0, modRevision: revision.main, version: 0, value: [], lease: 0)
        index.updateExisting(key) { $0.tombstone(revision) }
        log.append(StoredChange(revision: revision, kv: tombstone, isTombstone: true))
        keyCount -= 1
        return .delete(tombstone, previous: previous)
    }

    /// Takes back `events` (the changes of a failed write transaction at `main`), newest first.
    func rollBack(_ events: [Event], at main: Int64) {
        for (sub, event) in events.enumerated().reversed() {
            let revision = Revision(main: main, sub: Int64(sub))
            let key = event.kv!.key
            let isTombstone = event.type == .delete
            let nowEmpty = index.updateExisting(key) { keyIndex -> Bool in
                keyIndex.undo(revision, wasTombstone: isTombstone)
                return keyIndex.isEmpty
            }
            if nowEmpty { index.removeValue(forKey: key) }
            log.removeLast(revision)
            if isTombstone { keyCount += 1 } else if event.prevKV == nil { keyCount -= 1 }
        }
    }

    /// The keys in `keys` that exist at the newest revision (an open transaction's changes included).
    func liveKeys(in keys: KeyRange) -> [[UInt8]] {
        var live: [[UInt8]] = []
        if keys.end == .singleKey {
            if index[keys.start]?.isLive == true { live.append(keys.start) }
        } else {
            index.forEach(from: keys.start) { key, keyIndex in
                if keys.isPastEnd(key) { return false }
                if keyIndex.isLive { live.append(key) }
                return true
            }
        }
        return live
    }

    /// The key's newest key-value (an open transaction's changes included), if it is live.
    private func latest(_ key: [UInt8]) -> KeyValue? {
        guard let keyIndex = index[key], keyIndex.isLive, let found = keyIndex.lookup(at: .max) else { return nil }
        return storedKeyValue(at: found.modified)
    }

    /// The key-value the log holds at `revision`, which the index points at.
    private func storedKeyValue(at revision: Revision) -> KeyValue {
        guard let change = log.change(at: revision), !change.isTombstone else {
            preconditionFailure("the index points at \(revision), which the log does not hold")
        }
        return change.kv
    }
}

extension Event {
    static func put(_ kv: KeyValue, previous: KeyValue?) -> Event {
        var event = Event()
        event.type = .put
        event.kv = kv
        event.prevKV = previous
        return event
    }

    /// `tombstone` carries only the key and the revision of the delete, as in etcd.
    static func delete(_ tombstone: KeyValue, previous: KeyValue) -> Event {
        var event = Event()
        event.type = .delete
        event.kv = tombstone
        event.prevKV = previous
        return event
    }
}
