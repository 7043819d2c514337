import EtcdWire
import Lease
import Logging
import MVCC
import NIOConcurrencyHelpers
import Synchronization

/// The applied state of the member: the MVCC store, the leases and the member list, changed only
/// by applying the log on the apply loop and read by event loops. One lock guards the store;
/// writers hold it for a whole batch.
final class KVStateMachine: @unchecked Sendable {
    // `store` and `appliedIndex` are guarded by `lock`; `executor` is immutable.
    private let lock = NIOLock()
    /// Replaced only by `restore` (a snapshot from the leader, or at startup).
    private var store = MVCCStore()
    /// Told of every commit of whichever store is current (the watch machinery).
    private weak var storeObserver: WatchDispatcher?
    private let executor: KVExecutor
    private var appliedIndex: UInt64 = 0
    private let metrics: ServerMetrics
    /// The leases: changed here by lease commands and by writes that attach or detach keys.
    let leases: LeaseKeeper
    private let leaseCommands: LeaseCommands
    /// The cluster's members: changed by membership changes and `publishMember` commands.
    let members: ClusterMembers
    /// The active alarms, guarded by `lock`: changed by `alarm` commands, and they decide
    /// which commands are refused.
    private var alarms = AlarmSet()
    private let logger: Logger

    /// Read for every response header, so an atomic rather than under the store's lock.
    private let term = Atomic<UInt64>(0)

    /// The Raft term the consensus loop last published, for response headers.
    var raftTerm: UInt64 { term.load(ordering: .relaxed) }

    func setRaftTerm(_ newTerm: UInt64) {
        term.store(newTerm, ordering: .relaxed)
    }

    init(maxTxnOps: Int, leases: LeaseKeeper, members: ClusterMembers, metrics: ServerMetrics,
         logger: Logger = Logger(label: "etcdserver")) {
        executor = KVExecutor(maxTxnOps: maxTxnOps, leaseExists: leases.exists)
        self.leases = leases
        self.members = members
        leaseCommands = LeaseCommands(leases: leases)
        self.metrics = metrics
        self.logger = logger
    }

    /// The checks etcd makes before a request is proposed.
    func validate(_ command: Command) throws {
        switch command {
        case .put(let request): try executor.validate(request)
        case .deleteRange(let request): try executor.validate(request)
        case .txn(let request): try executor.validate(request)
        case .compact, .leaseGrant, .leaseRevoke, .publishMember, .alarm: break
        }
    }

    /// Applies a batch of committed commands in log order, through log index `appliedIndex`;
    /// the single writer of the store.
    func apply(_ commands: [Command], appliedIndex: UInt64) -> [Result<CommandResult, EtcdError>] {
        let (results, keys) = lock.withLock { () -> ([Result<CommandResult, EtcdError>], Int) in
            let results = commands.map(applyOne)
            self.appliedIndex = appliedIndex
            return (results, store.keyCount)
        }
        metrics.keysTotal.set(Double(keys))
        return results
    }

    /// Entries that change nothing here (a leader's empty entry, a membership change) still
    /// advance the applied index.
    func markApplied(through index: UInt64) {
        lock.withLock { appliedIndex = max(appliedIndex, index) }
    }

    private func applyOne(_ command: Command) -> Result<CommandResult, EtcdError> {
        do throws(EtcdError) {
            if let refusal = alarms.refusal(for: command) { throw refusal }
            switch command {
            case .put(let request):
                return .success(.put(try attachingLeases(executor.put(request, in: store))))
            case .deleteRange(let request):
                return .success(.deleteRange(attachingLeases(executor.deleteRange(request, in: store))))
            case .txn(let request):
                return .success(.txn(try attachingLeases(executor.txn(request, in: store))))
            case .compact(let request):
                let response = try executor.compact(request, in: store).response
                // Every member logs each compaction it applies, as etcd does.
                logger.info("compacted the store", metadata: ["compact-revision": "\(request.revision)"])
                return .success(.compact(response))
            case .leaseGrant(let request):
                return .success(.leaseGrant(try leaseCommands.grant(request, in: store)))
            case .leaseRevoke(let request):
                return .success(.leaseRevoke(try leaseCommands.revoke(request, in: store)))
            case .publishMember(let member):
                members.updateAttributes(of: member.id, name: member.name, clientURLs: member.clientURLs)
                return .success(.publishMember)
            case .alarm(let request):
                return .success(.alarm(applyAlarm(request)))
            }
        } catch {
            return .failure(error)
        }
    }

    private func applyAlarm(_ request: AlarmRequest) -> AlarmResponse {
        let (response, change) = alarms.apply(request)
        switch change {
        case .raised(let alarm)?:
            logger.warning("alarm raised", metadata: ["alarm": "\(alarm.alarm.name)", "from": "\(String(alarm.memberID, radix: 16))"])
        case .disarmed(let alarm)?:
            logger.warning("alarm disarmed", metadata: ["alarm": "\(alarm.alarm.name)", "from": "\(String(alarm.memberID, radix: 16))"])
        case nil:
            break
        }
        return response
    }

    /// Replaces the alarms with those a snapshot recorded.
    func restoreAlarms(_ restored: [AlarmMember]) {
        lock.withLock { alarms = AlarmSet(restored) }
    }

    /// The active alarms of `type` (every type for `.none`), as an Alarm GET lists them.
    func activeAlarms(_ type: AlarmType = .none) -> [AlarmMember] {
        lock.withLock { alarms.list(type) }
    }

    /// Keys move between leases as the write's events say (see `Lessor.trackAttachments`).
    private func attachingLeases<Response>(_ result: WriteResult<Response>) -> Response {
        leases.trackAttachments(of: result.events)
        return result.value
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

    func observeStore(_ observer: WatchDispatcher) {
        lock.withLock {
            storeObserver = observer
            store.commitObserver = observer
        }
    }

    // MARK: - Snapshots

    /// Runs `body` with the applied state's encoding, the store section to be streamed from the
    /// store itself, all of the same moment. `body` runs under the lock, as `capture` encodes, so
    /// the store stays as measured until it returns; reads wait too, so `body` should do no more
    /// than write the encoding out.
    func withAppliedStateEncoding<Result>(_ body: (AppliedStateEncoding) throws -> Result) rethrows -> Result {
        try lock.withLock {
            let encoding = AppliedStateEncoding(
                membership: members.snapshot,
                store: (.streamed(store, store.measureSnapshot()), leases.snapshotBytes()),
                alarms: alarms.list(.none))
            return try body(encoding)
        }
    }

    /// Replaces the store and the leases with a snapshot's, applied through `appliedIndex`.
    /// Watchers catch up from the new store.
    func restore(store storeBytes: [UInt8], leases leaseBytes: [UInt8], appliedIndex: UInt64) throws {
        let restored = try MVCCStore(restoringFrom: storeBytes)
        try leases.restore(from: leaseBytes, leasedKeys: restored.leasedKeys())
        let keys = lock.withLock { () -> Int in
            restored.commitObserver = storeObserver
            store = restored
            self.appliedIndex = appliedIndex
            storeObserver?.storeReplaced(revision: restored.currentRevision)
            return restored.keyCount
        }
        metrics.keysTotal.set(Double(keys))
    }

    /// Runs `body` on the store under the lock, which also keeps the apply loop out. The watch
    /// machinery reads history for catch-up this way, so nothing is published meanwhile.
    func withStore<Result>(_ body: (MVCCStore) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(store) }
    }

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
