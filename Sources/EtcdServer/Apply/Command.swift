import EtcdWire

/// A mutation of the replicated state: the only way anything in the store changes.
///
/// Every write RPC becomes one command; so do lease expiry, automatic compaction and alarms.
/// Commands are applied strictly in order by a single writer; applying one needs no clock,
/// no I/O and no randomness, so the same log always yields the same state (the Raft log
/// slides in under this without changing it).
public enum Command: Hashable, Sendable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
    /// The ID is always set: the server picks one before proposing when the client did not.
    case leaseGrant(LeaseGrantRequest)
    /// A client's revoke, or the lease holder's when the lease expired: either way the lease's
    /// keys go in one revision, in the same order on every member.
    case leaseRevoke(LeaseRevokeRequest)
    /// A member announces its name and client URLs after it starts (etcd's "publish"), so
    /// that every member lists them; the ID, peer URLs and role are left as they are.
    case publishMember(Member)
    /// An alarm raised or disarmed (a client's request, the quota or the corruption check):
    /// every member keeps the same alarms and refuses the same writes.
    case alarm(AlarmRequest)
}

/// What applying a command answered.
public enum CommandResult: Sendable {
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
    case compact(CompactionResponse)
    case leaseGrant(LeaseGrantResponse)
    case leaseRevoke(LeaseRevokeResponse)
    case publishMember
    case alarm(AlarmResponse)
}
