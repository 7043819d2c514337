// Random samples of the mvccpb and KV messages.

@testable import EtcdWire

extension KeyValue: Sampled {
    static func sample(_ g: inout Gen) -> KeyValue {
        KeyValue(key: g.bytes(), createRevision: g.int64(), modRevision: g.int64(), version: g.int64(),
                 value: g.bytes(), lease: g.int64())
    }
}

extension Event: Sampled {
    static func sample(_ g: inout Gen) -> Event {
        var m = Event()
        m.type = g.enumValue()
        m.kv = g.optional(KeyValue.sample)
        m.prevKV = g.optional(KeyValue.sample)
        return m
    }
}

extension ResponseHeader: Sampled {
    static func sample(_ g: inout Gen) -> ResponseHeader {
        var m = ResponseHeader()
        m.clusterID = g.uint64()
        m.memberID = g.uint64()
        m.revision = g.int64()
        m.raftTerm = g.uint64()
        return m
    }
}

extension RangeRequest: Sampled {
    static func sample(_ g: inout Gen) -> RangeRequest {
        var m = RangeRequest()
        m.key = g.bytes()
        m.rangeEnd = g.bytes()
        m.limit = g.int64()
        m.revision = g.int64()
        m.sortOrder = g.enumValue()
        m.sortTarget = g.enumValue()
        m.serializable = g.bool()
        m.keysOnly = g.bool()
        m.countOnly = g.bool()
        m.minModRevision = g.int64()
        m.maxModRevision = g.int64()
        m.minCreateRevision = g.int64()
        m.maxCreateRevision = g.int64()
        return m
    }
}

extension RangeResponse: Sampled {
    static func sample(_ g: inout Gen) -> RangeResponse {
        var m = RangeResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.kvs = g.array(KeyValue.sample)
        m.more = g.bool()
        m.count = g.int64()
        return m
    }
}

extension PutRequest: Sampled {
    static func sample(_ g: inout Gen) -> PutRequest {
        var m = PutRequest()
        m.key = g.bytes()
        m.value = g.bytes()
        m.lease = g.int64()
        m.prevKV = g.bool()
        m.ignoreValue = g.bool()
        m.ignoreLease = g.bool()
        return m
    }
}

extension PutResponse: Sampled {
    static func sample(_ g: inout Gen) -> PutResponse {
        var m = PutResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.prevKV = g.optional(KeyValue.sample)
        return m
    }
}

extension DeleteRangeRequest: Sampled {
    static func sample(_ g: inout Gen) -> DeleteRangeRequest {
        var m = DeleteRangeRequest()
        m.key = g.bytes()
        m.rangeEnd = g.bytes()
        m.prevKV = g.bool()
        return m
    }
}

extension DeleteRangeResponse: Sampled {
    static func sample(_ g: inout Gen) -> DeleteRangeResponse {
        var m = DeleteRangeResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.deleted = g.int64()
        m.prevKVs = g.array(KeyValue.sample)
        return m
    }
}

extension RequestOp: Sampled {
    static func sample(_ g: inout Gen) -> RequestOp {
        switch g.below(g.depth < 3 ? 5 : 4) {
        case 0: return RequestOp()
        case 1: return RequestOp(.range(.sample(&g)))
        case 2: return RequestOp(.put(.sample(&g)))
        case 3: return RequestOp(.deleteRange(.sample(&g)))
        default: return RequestOp(.txn(.sample(&g)))
        }
    }
}

extension ResponseOp: Sampled {
    static func sample(_ g: inout Gen) -> ResponseOp {
        switch g.below(g.depth < 3 ? 5 : 4) {
        case 0: return ResponseOp()
        case 1: return ResponseOp(.range(.sample(&g)))
        case 2: return ResponseOp(.put(.sample(&g)))
        case 3: return ResponseOp(.deleteRange(.sample(&g)))
        default: return ResponseOp(.txn(.sample(&g)))
        }
    }
}

extension Compare: Sampled {
    static func sample(_ g: inout Gen) -> Compare {
        var m = Compare()
        m.result = g.enumValue()
        m.target = g.enumValue()
        m.key = g.bytes()
        switch g.below(6) {
        case 0: m.targetUnion = .version(g.int64())
        case 1: m.targetUnion = .createRevision(g.int64())
        case 2: m.targetUnion = .modRevision(g.int64())
        case 3: m.targetUnion = .value(g.bytes())
        case 4: m.targetUnion = .lease(g.int64())
        default: m.targetUnion = nil
        }
        m.rangeEnd = g.bytes()
        return m
    }
}

extension TxnRequest: Sampled {
    static func sample(_ g: inout Gen) -> TxnRequest {
        g.depth += 1
        defer { g.depth -= 1 }
        var m = TxnRequest()
        m.compare = g.array(Compare.sample)
        m.success = g.array(RequestOp.sample)
        m.failure = g.array(RequestOp.sample)
        return m
    }
}

extension TxnResponse: Sampled {
    static func sample(_ g: inout Gen) -> TxnResponse {
        g.depth += 1
        defer { g.depth -= 1 }
        var m = TxnResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.succeeded = g.bool()
        m.responses = g.array(ResponseOp.sample)
        return m
    }
}

extension CompactionRequest: Sampled {
    static func sample(_ g: inout Gen) -> CompactionRequest {
        var m = CompactionRequest()
        m.revision = g.int64()
        m.physical = g.bool()
        return m
    }
}
