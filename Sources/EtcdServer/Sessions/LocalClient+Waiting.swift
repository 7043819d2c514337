import EtcdWire
import Lease
import MVCC

// Waiting one's turn, as clientv3's concurrency package does, and the sessions it opens.
extension LocalClient {
    /// etcd's services open a clientv3 session per request: with lease 0 the session grants a
    /// 60 s lease of its own (and, orphaned at once, nobody keeps it alive); any other lease is
    /// used as given, even one that does not exist (the write that uses it then fails).
    func sessionLease(_ lease: LeaseID) async throws -> LeaseID {
        lease != 0 ? lease : try await grant(ttl: 60)
    }

    /// Waits until every key under `prefix` created at or before `maxCreateRevision` is gone,
    /// one predecessor at a time; returns the header of the read that found none left.
    func waitDeletes(under prefix: [UInt8], maxCreateRevision: Int64) async throws -> ResponseHeader {
        while true {
            let predecessor = try range(RecipeRequests.lastCreated(under: prefix, maxCreateRevision: maxCreateRevision))
            guard let key = predecessor.kvs.first?.key else { return predecessor.header! }
            try await waitDelete(key, from: predecessor.header!.revision)
        }
    }

    /// Waits for a delete of `key` at `revision` or later.
    func waitDelete(_ key: [UInt8], from revision: Int64) async throws {
        for try await events in changes(in: KeyRange(start: key, end: .singleKey), from: revision) {
            if events.contains(where: { $0.type == .delete }) { return }
        }
        // The feed ends without an error only when this task is cancelled.
        throw CancellationError()
    }
}
