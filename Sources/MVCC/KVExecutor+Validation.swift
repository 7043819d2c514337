import EtcdWire

// The checks etcd's gRPC layer makes before a request is proposed.
extension KVExecutor {
    public func validate(_ request: RangeRequest) throws(EtcdError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    public func validate(_ request: PutRequest) throws(EtcdError) {
        if request.key.isEmpty { throw .emptyKey }
        if request.ignoreValue, !request.value.isEmpty { throw .valueProvided }
        if request.ignoreLease, request.lease != 0 { throw .leaseProvided }
    }

    public func validate(_ request: DeleteRangeRequest) throws(EtcdError) {
        if request.key.isEmpty { throw .emptyKey }
    }

    /// Shape first (sizes, empty keys, empty ops), then duplicate keys in each branch.
    public func validate(_ request: TxnRequest) throws(EtcdError) {
        try validateShape(request, maxOps: maxTxnOps)
        _ = try BranchWrites(request.success)
        _ = try BranchWrites(request.failure)
    }

    /// A nested transaction's budget is what its parent's largest list left over: etcd passes
    /// `maxOps - max(compares, success, failure)` down.
    private func validateShape(_ request: TxnRequest, maxOps: Int) throws(EtcdError) {
        let ops = max(request.compare.count, request.success.count, request.failure.count)
        if ops > maxOps { throw .tooManyOps }
        if request.compare.contains(where: { $0.key.isEmpty }) { throw .emptyKey }
        for op in request.success + request.failure {
            switch op.request {
            case .range(let range): try validate(range)
            case .put(let put): try validate(put)
            case .deleteRange(let deleteRange): try validate(deleteRange)
            case .txn(let nested): try validateShape(nested, maxOps: maxOps - ops)
            case nil: throw .keyNotFound
            }
        }
    }

    /// Whether etcd serves this transaction without a write (all top-level ops are ranges).
    public static func isReadOnly(_ request: TxnRequest) -> Bool {
        (request.success + request.failure).allSatisfy {
            if case .range = $0.request { return true }
            return false
        }
    }
}

/// The keys one branch of a transaction puts and the ranges it deletes, nested transactions
/// included; building it throws `.duplicateKey` where etcd 3.4's `checkIntervals` does.
///
/// A branch may not put a key twice nor put a key that one of its deletes covers. A nested
/// transaction's then and else branches may put the same key (only one runs). Faithful to etcd's
/// order of checks, a nested transaction's puts are checked against the deletes of the branch and
/// of the nested transactions before it, but not of those after it.
struct BranchWrites {
    private(set) var puts: Set<[UInt8]> = []
    private(set) var deletes: [DeletedInterval] = []

    /// A delete's keys as etcd's duplicate check reads them: a single key when `end` is empty,
    /// else `[start, end)` taken literally, so a from-key end of "\0" covers no key at all (as in
    /// etcd 3.4).
    struct DeletedInterval {
        var start: [UInt8]
        var end: [UInt8]

        func covers(_ key: [UInt8]) -> Bool {
            if end.isEmpty { return key == start }
            return !ByteOrder.less(key, start) && ByteOrder.less(key, end)
        }
    }

    init(_ ops: [RequestOp]) throws(EtcdError) {
        for op in ops {
            if case .deleteRange(let request) = op.request {
                deletes.append(DeletedInterval(start: request.key, end: request.rangeEnd))
            }
        }
        for op in ops {
            guard case .txn(let nested) = op.request else { continue }
            let then = try BranchWrites(nested.success)
            let otherwise = try BranchWrites(nested.failure)
            for key in then.puts {
                try addPut(key)
            }
            for key in otherwise.puts {
                if puts.contains(key), !then.puts.contains(key) { throw .duplicateKey }
                if isDeleted(key) { throw .duplicateKey }
                puts.insert(key)
            }
            deletes += then.deletes + otherwise.deletes
        }
        for op in ops {
            if case .put(let request) = op.request { try addPut(request.key) }
        }
    }

    private mutating func addPut(_ key: [UInt8]) throws(EtcdError) {
        if puts.contains(key) || isDeleted(key) { throw .duplicateKey }
        puts.insert(key)
    }

    private func isDeleted(_ key: [UInt8]) -> Bool {
        deletes.contains { $0.covers(key) }
    }
}
