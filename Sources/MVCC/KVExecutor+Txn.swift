import EtcdWire

extension KVExecutor {
    /// Runs a transaction as one write: one new revision if any op changed something, none
    /// otherwise.
    ///
    /// As in etcd, every compare on the path taken (nested transactions' compares too) is
    /// evaluated before any op runs, and so are the checks that can fail (ignore_* on a missing
    /// key, unknown lease, range revision out of bounds). If an op still fails while applying,
    /// the whole transaction is rolled back and the error thrown (etcd 3.4 panics there instead:
    /// a from-key delete followed by an ignore_value put of a key it deleted reaches that case).
    public func txn(_ request: TxnRequest, in store: MVCCStore) throws(EtcdError) -> WriteResult<TxnResponse> {
        let path = TxnPath(request, comparingIn: store)
        try checkPuts(request, path, in: store)
        try checkRanges(request, path, in: store)
        var result = try store.write { (transaction) throws(EtcdError) in
            try applyTxn(request, path, in: transaction)
        }
        result.value.header = .revision(result.revision)
        return result
    }

    /// Runs the ops of the branch `path` chose. A nested transaction's own response keeps an
    /// all-zero header, as in etcd; `txn` fills the top-level one after the commit.
    private func applyTxn(_ request: TxnRequest, _ path: TxnPath, in transaction: WriteTransaction) throws(EtcdError) -> TxnResponse {
        var response = TxnResponse()
        response.header = ResponseHeader()
        response.succeeded = path.succeeded
        var nestedPaths = path.nested.makeIterator()
        for op in path.ops(of: request) {
            switch op.request {
            case .range(let range):
                response.responses.append(ResponseOp(.range(try rangeResponse(range, from: transaction))))
            case .put(let put):
                response.responses.append(ResponseOp(.put(try applyPut(put, in: transaction))))
            case .deleteRange(let deleteRange):
                response.responses.append(ResponseOp(.deleteRange(applyDeleteRange(deleteRange, in: transaction))))
            case .txn(let nested):
                response.responses.append(ResponseOp(.txn(try applyTxn(nested, nestedPaths.next()!, in: transaction))))
            case nil:
                // `validate` rejects empty ops; etcd leaves an empty response for one.
                response.responses.append(ResponseOp())
            }
        }
        return response
    }

    /// etcd's `checkRequestPut` over the path, against the state before the transaction.
    private func checkPuts(_ request: TxnRequest, _ path: TxnPath, in store: MVCCStore) throws(EtcdError) {
        try path.forEachOp(of: request) { (op) throws(EtcdError) in
            guard case .put(let put) = op.request else { return }
            if put.ignoreValue || put.ignoreLease, try store.range(.key(put.key)).kvs.isEmpty {
                throw .keyNotFound
            }
            if put.lease != 0, !leaseExists(put.lease) { throw .leaseNotFound }
        }
    }

    /// etcd's `checkRequestRange` over the path. Unlike a plain Range, a negative revision is
    /// compared with the compacted revision (-1 before the first compaction) and may fail.
    private func checkRanges(_ request: TxnRequest, _ path: TxnPath, in store: MVCCStore) throws(EtcdError) {
        try path.forEachOp(of: request) { (op) throws(EtcdError) in
            guard case .range(let range) = op.request, range.revision != 0 else { return }
            if range.revision > store.currentRevision { throw .futureRevision }
            if range.revision < store.compactMainRevision { throw .compacted }
        }
    }
}

/// Which branch a transaction takes, and which its nested transactions on that branch take:
/// decided up front from the state before the transaction, as etcd does.
struct TxnPath {
    var succeeded: Bool
    /// Paths of the nested transactions among the chosen ops, in order.
    var nested: [TxnPath]

    init(_ request: TxnRequest, comparingIn view: KVReadView) {
        succeeded = request.compare.allSatisfy { $0.holds(in: view) }
        nested = []
        for op in succeeded ? request.success : request.failure {
            if case .txn(let inner) = op.request { nested.append(TxnPath(inner, comparingIn: view)) }
        }
    }

    func ops(of request: TxnRequest) -> [RequestOp] {
        succeeded ? request.success : request.failure
    }

    /// Calls `body` with every non-transaction op on the path, depth first in order.
    func forEachOp(of request: TxnRequest, _ body: (RequestOp) throws(EtcdError) -> Void) throws(EtcdError) {
        var nestedPaths = nested.makeIterator()
        for op in ops(of: request) {
            if case .txn(let inner) = op.request {
                try nestedPaths.next()!.forEachOp(of: inner, body)
            } else {
                try body(op)
            }
        }
    }
}
