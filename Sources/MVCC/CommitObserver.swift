import EtcdWire

/// Hears about every write the store commits, in revision order, on the writer's thread and
/// before `MVCCStore.write` returns.
///
/// This is how the watch machinery learns of changes without polling. Observing at the store
/// rather than at each caller means no write can bypass it: whatever command changes the store
/// (a put, a transaction, a lease revoke deleting its keys), its events are published.
public protocol CommitObserver: AnyObject {
    /// `events` are the write's changes in the order made, all at main revision `revision`,
    /// exactly as `WriteResult.events` describes them; `revision` is always the previous one + 1.
    func committed(revision: Int64, events: [Event])
}
