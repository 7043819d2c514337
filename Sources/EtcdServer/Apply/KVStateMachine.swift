import EtcdWire
import MVCC
import NIOConcurrencyHelpers

/// The applied state of the member: the MVCC store, changed only by `apply` on the apply loop
/// and read by event loops. One lock guards it; writers hold it for a whole batch.
final class KVStateMachine: @unchecked Sendable {
    // `store`, `appliedIndex` are guarded by `lock`; `executor` and `raftTerm` are immutable.
    private let lock = NIOLock()
    private let store = MVCCStore()
    private let executor: KVExecutor
    private var appliedIndex: UInt64 = 0
    private let metrics: ServerMetrics

    /// A single member elects itself once, in term 1; the Raft log will make this real.
    let raftTerm: UInt64 = 1

    init(maxTxnOps: Int, metrics: ServerMetrics) {
        executor = KVExecutor(maxTxnOps: maxTxnOps)
        self.metrics = metrics
    }

    /// The checks etcd makes before a request is proposed.
    func validate(_ command: Command) throws {
        switch command {
        case .put(let request): try executor.validate(request)
        case .deleteRange(let request): try executor.validate(request)
        case .txn(let request): try executor.validate(request)
        case .compact: break
        }
    }

    /// Applies a batch in order; the single writer of the store.
    func apply(_ commands: [Command]) -> [Result<CommandResult, EtcdError>] {
        let (results, keys) = lock.withLock { () -> ([Result<CommandResult, EtcdError>], Int) in
            let results = commands.map(applyOne)
            appliedIndex += UInt64(commands.count)
            return (results, store.keyCount)
        }
        metrics.proposalsCommitted.increment(by: Double(commands.count))
        metrics.proposalsApplied.increment(by: Double(commands.count))
        metrics.keysTotal.set(Double(keys))
        return results
    }

    private func applyOne(_ command: Command) -> Result<CommandResult, EtcdError> {
        do throws(EtcdError) {
            switch command {
            case .put(let request):
                return .success(.put(try executor.put(request, in: store).value))
            case .deleteRange(let request):
                return .success(.deleteRange(executor.deleteRange(request, in: store).value))
            case .txn(let request):
                return .success(.txn(try executor.txn(request, in: store).value))
            case .compact(let request):
                return .success(.compact(try executor.compact(request, in: store).response))
            }
        } catch {
            return .failure(error)
        }
    }

    func range(_ request: RangeRequest) throws -> RangeResponse {
        try executor.validate(request)
        return try lock.withLock { try executor.range(request, in: store) }
    }

    /// A Txn whose branches only read; it changes nothing, so it needs no proposal.
    func readOnlyTxn(_ request: TxnRequest) throws -> TxnResponse {
        precondition(KVExecutor.isReadOnly(request))
        try executor.validate(request)
        return try lock.withLock { try executor.txn(request, in: store).value }
    }

    var currentRevision: Int64 { lock.withLock { store.currentRevision } }

    struct Figures {
        var revision: Int64
        var appliedIndex: UInt64
        var raftTerm: UInt64
        var storeBytes: Int64
    }

    func figures() -> Figures {
        lock.withLock {
            Figures(revision: store.currentRevision, appliedIndex: appliedIndex, raftTerm: raftTerm,
                    storeBytes: Int64(store.approximateBytes))
        }
    }
}
