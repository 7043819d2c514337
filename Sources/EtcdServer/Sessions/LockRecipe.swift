import EtcdWire
import Lease

/// clientv3's `Mutex`, run by the Lock service: each contender puts `<name>/<lease>` and the
/// oldest key (by create revision) holds the lock; the others wait, each for the key just
/// ahead of it, so the lock passes on in arrival order without a thundering herd.
struct LockRecipe {
    let client: LocalClient

    /// Takes the lock for `lease` (queueing behind earlier contenders); returns the held key and
    /// the header of the moment it was taken.
    func lock(name: [UInt8], lease: LeaseID) async throws -> (key: [UInt8], header: ResponseHeader) {
        let prefix = name + [UInt8(ascii: "/")]
        let key = KeyPrefix.sessionKey(name, lease: lease)
        var txn = TxnRequest()
        txn.compare = [RecipeRequests.createRevision(of: key, is: 0)]
        txn.success = [RecipeRequests.put(key, [], lease: lease), RequestOp(.range(RecipeRequests.firstCreated(under: prefix)))]
        txn.failure = [RequestOp(.range(RecipeRequests.get(key))), RequestOp(.range(RecipeRequests.firstCreated(under: prefix)))]
        let response = try await client.txn(txn)

        // A session that already queued (same lease) keeps its place.
        let myRevision = response.succeeded
            ? response.header!.revision
            : response.responses[0].rangeResponse!.kvs[0].createRevision
        let owner = response.responses[1].rangeResponse!.kvs.first
        if owner == nil || owner!.createRevision == myRevision {
            return (key, response.header!)
        }
        do {
            let header = try await client.waitDeletes(under: prefix, maxCreateRevision: myRevision - 1)
            return (key, header)
        } catch {
            // Giving up: leave the line, so nobody waits behind a contender that is gone.
            _ = try? await client.delete(key)
            throw error
        }
    }
}
