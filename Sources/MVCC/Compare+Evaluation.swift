import EtcdWire

extension Compare {
    /// Whether the compare holds for every key in its range at the view's revision.
    ///
    /// If no key exists there, a VALUE compare fails (a missing value cannot be told from an
    /// empty one) and every other target compares against 0.
    func holds(in view: KVReadView) -> Bool {
        guard let found = try? view.range(KeyRange(key: key, rangeEnd: rangeEnd), options: RangeOptions()) else {
            return false
        }
        if found.kvs.isEmpty { return target != .value && holds(for: KeyValue()) }
        return found.kvs.allSatisfy(holds(for:))
    }

    /// The compared value comes from `targetUnion` only if it is the target's own field; else it
    /// is 0 or empty. An unknown target compares as equal, an unknown result always holds.
    func holds(for kv: KeyValue) -> Bool {
        func order(_ a: Int64, _ b: Int64) -> Int { a < b ? -1 : (a > b ? 1 : 0) }
        let ordering: Int
        switch (target, targetUnion) {
        case (.value, .value(let value)?): ordering = ByteOrder.compare(kv.value, value)
        case (.value, _): ordering = ByteOrder.compare(kv.value, [])
        case (.version, .version(let version)?): ordering = order(kv.version, version)
        case (.version, _): ordering = order(kv.version, 0)
        case (.create, .createRevision(let revision)?): ordering = order(kv.createRevision, revision)
        case (.create, _): ordering = order(kv.createRevision, 0)
        case (.mod, .modRevision(let revision)?): ordering = order(kv.modRevision, revision)
        case (.mod, _): ordering = order(kv.modRevision, 0)
        case (.lease, .lease(let lease)?): ordering = order(kv.lease, lease)
        case (.lease, _): ordering = order(kv.lease, 0)
        default: ordering = 0
        }
        switch result {
        case .equal: return ordering == 0
        case .notEqual: return ordering != 0
        case .greater: return ordering > 0
        case .less: return ordering < 0
        default: return true
        }
    }
}
