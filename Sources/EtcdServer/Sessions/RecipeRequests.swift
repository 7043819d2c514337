import EtcdWire

// The requests clientv3's concurrency package builds, as plain messages.
enum RecipeRequests {
    /// `create_revision(key) == revision`; 0 means "the key does not exist".
    static func createRevision(of key: [UInt8], is revision: Int64) -> Compare {
        var compare = Compare()
        compare.key = key
        compare.target = .create
        compare.result = .equal
        compare.targetUnion = .createRevision(revision)
        return compare
    }

    static func put(_ key: [UInt8], _ value: [UInt8], lease: Int64) -> RequestOp {
        var put = PutRequest()
        put.key = key
        put.value = value
        put.lease = lease
        return RequestOp(.put(put))
    }

    static func get(_ key: [UInt8]) -> RangeRequest {
        var range = RangeRequest()
        range.key = key
        return range
    }

    static func delete(_ key: [UInt8]) -> RequestOp {
        var delete = DeleteRangeRequest()
        delete.key = key
        return RequestOp(.deleteRange(delete))
    }

    /// The oldest key under `prefix` by create revision (clientv3's `WithFirstCreate`): the
    /// lock holder or the election leader.
    static func firstCreated(under prefix: [UInt8]) -> RangeRequest {
        prefixTop(prefix, order: .ascend)
    }

    /// The newest key under `prefix` created at or before `maxCreateRevision` (clientv3's
    /// `WithLastCreate` + `WithMaxCreateRev`): the waiter just ahead in line.
    static func lastCreated(under prefix: [UInt8], maxCreateRevision: Int64) -> RangeRequest {
        var range = prefixTop(prefix, order: .descend)
        range.maxCreateRevision = maxCreateRevision
        return range
    }

    private static func prefixTop(_ prefix: [UInt8], order: SortOrder) -> RangeRequest {
        var range = RangeRequest()
        range.key = prefix
        range.rangeEnd = KeyPrefix.rangeEnd(of: prefix)
        range.sortTarget = .create
        range.sortOrder = order
        range.limit = 1
        return range
    }
}

extension ResponseOp {
    /// The range response of an op that was a range.
    var rangeResponse: RangeResponse? {
        if case .range(let range)? = response { return range }
        return nil
    }
}
