import EtcdWire

/// A deliberately naive KV store for checking `MVCCStore` and `KVExecutor` against: every key's
/// full history in a list, searched linearly, never compacted (compaction only moves the floor
/// below which reads must fail).
struct ReferenceModel {
    var revision: Int64 = 1
    /// -1 until the first compaction, as in etcd.
    var compactedAt: Int64 = -1
    /// Per key, every change in order; a nil key-value is a delete.
    var history: [[UInt8]: [(revision: Int64, kv: KeyValue?)]] = [:]

    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }

    /// The wire's key / range_end convention, written out independently of `KeyRange`.
    static func contains(_ key: [UInt8], start: [UInt8], end: [UInt8]) -> Bool {
        if end.isEmpty { return key == start }
        if end == [0] { return !less(key, start) }
        return !less(key, start) && less(key, end)
    }

    func value(of key: [UInt8], at revision: Int64) -> KeyValue? {
        history[key]?.last(where: { $0.revision <= revision })?.kv ?? nil
    }

    /// Live key-values in the range at `revision`, in key order.
    func range(start: [UInt8], end: [UInt8], at revision: Int64) -> [KeyValue] {
        history.keys
            .filter { Self.contains($0, start: start, end: end) }
            .sorted(by: Self.less)
            .compactMap { value(of: $0, at: revision) }
    }

    var liveKeyCount: Int { history.keys.filter { value(of: $0, at: revision) != nil }.count }

    /// Commits one transaction's changes (at most one per key) at the next revision.
    mutating func commit(_ changes: [([UInt8], KeyValue?)]) {
        guard !changes.isEmpty else { return }
        revision += 1
        for (key, kv) in changes { history[key, default: []].append((revision, kv)) }
    }

    /// How many stored changes a compacted store should still hold: everything above the
    /// compaction point, plus each key's latest put at or below it if the key was live there.
    var expectedRetainedChanges: Int {
        guard compactedAt >= 0 else { return history.values.map(\.count).reduce(0, +) }
        return history.values.map { entries in
            let above = entries.filter { $0.revision > compactedAt }.count
            let latestBelow = entries.last(where: { $0.revision <= compactedAt })
            return above + (latestBelow?.kv != nil ? 1 : 0)
        }.reduce(0, +)
    }

    /// The next key-value when `key` is put over `previous` at the next revision.
    func putValue(_ key: [UInt8], value: [UInt8], lease: Int64, over previous: KeyValue?) -> KeyValue {
        KeyValue(
            key: key,
            createRevision: previous?.createRevision ?? revision + 1,
            modRevision: revision + 1,
            version: (previous?.version ?? 0) + 1,
            value: value,
            lease: lease
        )
    }
}
