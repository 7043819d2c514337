import EtcdWire

/// A mutation of the replicated state: the only way anything in the store changes.
///
/// Every write RPC becomes one command, and so will lease expiry and automatic compaction.
/// Commands are applied strictly in order by a single writer; applying one needs no clock,
/// no I/O and no randomness, so the same log always yields the same state (the Raft log
/// slides in under this without changing it).
public enum Command: Sendable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
}

/// What applying a command answered.
public enum CommandResult: Sendable {
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case compact(CompactionResponse)
}
