import EtcdWire
import Lease
import MVCC

/// What the lease commands do to the applied state; run by `KVStateMachine` on the apply loop.
/// Reads no clock: the grant's clock starts after the batch (`ApplyLoop`).
struct LeaseCommands {
    let leases: LeaseKeeper

    func grant(_ request: LeaseGrantRequest, in store: MVCCStore) throws(EtcdError) -> LeaseGrantResponse {
        let lease = try leases.grant(id: request.id, ttl: request.ttl)
        var response = LeaseGrantResponse()
        response.header = Self.header(revision: store.currentRevision)
        response.id = lease.id
        response.ttl = lease.ttl
        return response
    }

    /// Deletes every key attached to the lease in one write (one revision, so a watcher sees
    /// the deletes together, in key order as on every member), then drops the lease.
    func revoke(_ request: LeaseRevokeRequest, in store: MVCCStore) throws(EtcdError) -> LeaseRevokeResponse {
        guard let lease = leases.lease(request.id) else { throw .leaseNotFound }
        let result = store.write { transaction in
            for key in lease.sortedKeys { transaction.deleteRange(KeyRange(start: key, end: .singleKey)) }
        }
        leases.revoke(id: lease.id)
        var response = LeaseRevokeResponse()
        response.header = Self.header(revision: result.revision)
        return response
    }

    private static func header(revision: Int64) -> ResponseHeader {
        var header = ResponseHeader()
        header.revision = revision
        return header
    }
}
