// etcdserverpb: the KV service (Range, Put, DeleteRange, Txn, Compact) and the response header.

public struct ResponseHeader: Hashable, Sendable {
    public var clusterID: UInt64 = 0
    public var memberID: UInt64 = 0
    public var revision: Int64 = 0
    public var raftTerm: UInt64 = 0
    public init() {}
}

public struct SortOrder: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let none = SortOrder(rawValue: 0)
    public static let ascend = SortOrder(rawValue: 1)
    public static let descend = SortOrder(rawValue: 2)
}

public struct SortTarget: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let key = SortTarget(rawValue: 0)
    public static let version = SortTarget(rawValue: 1)
    public static let create = SortTarget(rawValue: 2)
    public static let mod = SortTarget(rawValue: 3)
    public static let value = SortTarget(rawValue: 4)
}

public struct RangeRequest: Hashable, Sendable {
    public var key: [UInt8] = []
    public var rangeEnd: [UInt8] = []
    public var limit: Int64 = 0
    public var revision: Int64 = 0
    public var sortOrder: SortOrder = .none
    public var sortTarget: SortTarget = .key
    public var serializable: Bool = false
    public var keysOnly: Bool = false
    public var countOnly: Bool = false
    public var minModRevision: Int64 = 0
    public var maxModRevision: Int64 = 0
    public var minCreateRevision: Int64 = 0
    public var maxCreateRevision: Int64 = 0
    public init() {}
}

public struct RangeResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var kvs: [KeyValue] = []
    public var more: Bool = false
    public var count: Int64 = 0
    public init() {}
}

public struct PutRequest: Hashable, Sendable {
    public var key: [UInt8] = []
    public var value: [UInt8] = []
    public var lease: Int64 = 0
    public var prevKV: Bool = false
    public var ignoreValue: Bool = false
    public var ignoreLease: Bool = false
    public init() {}
}

public struct PutResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var prevKV: KeyValue? = nil
    public init() {}
}

public struct DeleteRangeRequest: Hashable, Sendable {
    public var key: [UInt8] = []
    public var rangeEnd: [UInt8] = []
    public var prevKV: Bool = false
    public init() {}
}

public struct DeleteRangeResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var deleted: Int64 = 0
    public var prevKVs: [KeyValue] = []
    public init() {}
}

public struct RequestOp: Hashable, Sendable {
    public indirect enum Request: Hashable, Sendable {
        case range(RangeRequest)
        case put(PutRequest)
        case deleteRange(DeleteRangeRequest)
        case txn(TxnRequest)
    }
    public var request: Request? = nil
    public init() {}
    public init(_ request: Request) { self.request = request }
}

public struct ResponseOp: Hashable, Sendable {
    public indirect enum Response: Hashable, Sendable {
        case range(RangeResponse)
        case put(PutResponse)
        case deleteRange(DeleteRangeResponse)
        case txn(TxnResponse)
    }
    public var response: Response? = nil
    public init() {}
    public init(_ response: Response) { self.response = response }
}

public struct CompareResult: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let equal = CompareResult(rawValue: 0)
    public static let greater = CompareResult(rawValue: 1)
    public static let less = CompareResult(rawValue: 2)
    public static let notEqual = CompareResult(rawValue: 3)
}

public struct CompareTarget: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let version = CompareTarget(rawValue: 0)
    public static let create = CompareTarget(rawValue: 1)
    public static let mod = CompareTarget(rawValue: 2)
    public static let value = CompareTarget(rawValue: 3)
    public static let lease = CompareTarget(rawValue: 4)
}

public struct Compare: Hashable, Sendable {
    /// The `target_union` oneof: which field the compared value came in.
    public enum TargetUnion: Hashable, Sendable {
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case value([UInt8])
        case lease(Int64)
    }
    public var result: CompareResult = .equal
    public var target: CompareTarget = .version
    public var key: [UInt8] = []
    public var targetUnion: TargetUnion? = nil
    public var rangeEnd: [UInt8] = []
    public init() {}
}

public struct TxnRequest: Hashable, Sendable {
    public var compare: [Compare] = []
    public var success: [RequestOp] = []
    public var failure: [RequestOp] = []
    public init() {}
}

public struct TxnResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var succeeded: Bool = false
    public var responses: [ResponseOp] = []
    public init() {}
}

public struct CompactionRequest: Hashable, Sendable {
    public var revision: Int64 = 0
    public var physical: Bool = false
    public init() {}
}

public struct CompactionResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}
