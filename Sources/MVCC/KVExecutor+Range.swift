import EtcdWire

extension KVExecutor {
    /// Range as etcd's applier runs it: read, drop key-values outside the mod/create revision
    /// bounds, sort, then cut to the limit. `count` is what the store counted, so it ignores both
    /// the limit and the bounds.
    func rangeResponse(_ request: RangeRequest, from view: KVReadView) throws(EtcdError) -> RangeResponse {
        let hasBounds = request.minModRevision != 0 || request.maxModRevision != 0
            || request.minCreateRevision != 0 || request.maxCreateRevision != 0
        // Sorting or bounds need every key-value; otherwise read one past the limit to learn
        // whether there are more. Like etcd this looks at the requested order, not the effective
        // one, so a non-key target with order NONE sorts only the first limit + 1 keys.
        let readsEverything = request.sortOrder != .none || hasBounds
        let readLimit = readsEverything || request.limit <= 0 ? 0 : request.limit &+ 1
        let result = try view.range(
            KeyRange(key: request.key, rangeEnd: request.rangeEnd),
            options: RangeOptions(revision: request.revision, limit: readLimit, countOnly: request.countOnly)
        )

        var kvs = result.kvs
        if hasBounds { kvs.removeAll { !request.revisionBoundsAdmit($0) } }
        request.sort(&kvs)

        var response = RangeResponse()
        response.header = .revision(result.revision)
        response.count = Int64(result.count)
        if request.limit > 0, kvs.count > request.limit {
            kvs.removeSubrange(Int(request.limit)...)
            response.more = true
        }
        if request.keysOnly {
            for i in kvs.indices { kvs[i].value = [] }
        }
        response.kvs = kvs
        return response
    }
}

extension RangeRequest {
    /// Inclusive bounds; 0 means no bound.
    func revisionBoundsAdmit(_ kv: KeyValue) -> Bool {
        !(maxModRevision != 0 && kv.modRevision > maxModRevision)
            && !(minModRevision != 0 && kv.modRevision < minModRevision)
            && !(maxCreateRevision != 0 && kv.createRevision > maxCreateRevision)
            && !(minCreateRevision != 0 && kv.createRevision < minCreateRevision)
    }

    /// Sorts key-values that arrive in ascending key order. A target other than KEY with order
    /// NONE sorts ascending. Equal elements keep key order in both directions (etcd's Go sort
    /// leaves it unspecified; for small results it does the same).
    func sort(_ kvs: inout [KeyValue]) {
        let order = sortTarget != .key && sortOrder == .none ? SortOrder.ascend : sortOrder
        guard order == .ascend || order == .descend, let compare = sortTarget.comparator else { return }
        let direction = order == .ascend ? 1 : -1
        kvs = kvs.enumerated().sorted { a, b in
            let c = compare(a.element, b.element) * direction
            return c != 0 ? c < 0 : a.offset < b.offset
        }.map(\.element)
    }
}

extension SortTarget {
    /// -1, 0 or 1 ordering of two key-values by this target; nil for a target etcd does not know.
    var comparator: ((KeyValue, KeyValue) -> Int)? {
        func order(_ a: Int64, _ b: Int64) -> Int { a < b ? -1 : (a > b ? 1 : 0) }
        switch self {
        case .key: return { ByteOrder.compare($0.key, $1.key) }
        case .version: return { order($0.version, $1.version) }
        case .create: return { order($0.createRevision, $1.createRevision) }
        case .mod: return { order($0.modRevision, $1.modRevision) }
        case .value: return { ByteOrder.compare($0.value, $1.value) }
        default: return nil
        }
    }
}
