import EtcdWire

/// Runs KV service requests (Range, Put, DeleteRange, Txn, Compact) against an `MVCCStore` with
/// etcd 3.4's semantics and errors.
///
/// Two steps, as in etcd: `validate` holds the checks etcd makes before proposing a request to
/// Raft; the executing methods run at apply time and assume the request passed `validate`. They
/// fill only `header.revision`; the server adds cluster, member and term.
public struct KVExecutor {
    /// The most compares, success ops or failure ops a transaction may have (etcd `--max-txn-ops`).
    public var maxTxnOps: Int
    /// Whether a lease with this ID exists; puts with another lease fail with `.leaseNotFound`.
    public var leaseExists: (Int64) -> Bool

    public init(maxTxnOps: Int = 128, leaseExists: @escaping (Int64) -> Bool = { _ in false }) {
        self.maxTxnOps = maxTxnOps
        self.leaseExists = leaseExists
    }

    public func range(_ request: RangeRequest, in store: MVCCStore) throws(EtcdError) -> RangeResponse {
        try rangeResponse(request, from: store)
    }

    public func put(_ request: PutRequest, in store: MVCCStore) throws(EtcdError) -> WriteResult<PutResponse> {
        if request.lease != 0, !leaseExists(request.lease) { throw .leaseNotFound }
        return try store.write { (transaction) throws(EtcdError) in try applyPut(request, in: transaction) }
    }

    public func deleteRange(_ request: DeleteRangeRequest, in store: MVCCStore) -> WriteResult<DeleteRangeResponse> {
        store.write { transaction in applyDeleteRange(request, in: transaction) }
    }

    /// Compacts the store; `physical` changes nothing here because compaction is synchronous.
    public func compact(
        _ request: CompactionRequest, in store: MVCCStore
    ) throws(EtcdError) -> (response: CompactionResponse, result: CompactionResult) {
        let result = try store.compact(at: request.revision)
        var response = CompactionResponse()
        response.header = .revision(store.currentRevision)
        return (response, result)
    }

    /// The put as etcd applies it, inside a write transaction. The lease was checked before.
    func applyPut(_ request: PutRequest, in transaction: WriteTransaction) throws(EtcdError) -> PutResponse {
        let reusesPrevious = request.ignoreValue || request.ignoreLease
        var previous: KeyValue?
        if reusesPrevious || request.prevKV {
            previous = try transaction.range(.key(request.key)).kvs.first
        }
        if reusesPrevious, previous == nil { throw .keyNotFound }
        transaction.put(
            key: request.key,
            value: request.ignoreValue ? previous!.value : request.value,
            lease: request.ignoreLease ? previous!.lease : request.lease
        )
        var response = PutResponse()
        response.header = .revision(transaction.readRevision)
        if request.prevKV { response.prevKV = previous }
        return response
    }

    func applyDeleteRange(_ request: DeleteRangeRequest, in transaction: WriteTransaction) -> DeleteRangeResponse {
        let deleted = transaction.deleteRange(KeyRange(key: request.key, rangeEnd: request.rangeEnd))
        var response = DeleteRangeResponse()
        // etcd reports the transaction's revision as it stands after this op: unchanged when
        // nothing has been deleted or written yet.
        response.header = .revision(transaction.readRevision)
        response.deleted = Int64(deleted.count)
        if request.prevKV { response.prevKVs = deleted }
        return response
    }
}

extension ResponseHeader {
    /// A header with only the revision set, as the KV layer fills it.
    static func revision(_ revision: Int64) -> ResponseHeader {
        var header = ResponseHeader()
        header.revision = revision
        return header
    }
}
