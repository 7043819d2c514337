import EtcdWire
import Lease
import MVCC

/// clientv3's `Election`, run by the Election service: candidates put `<name>/<lease>` with
/// their value, the oldest key leads, and the others wait in line as for a lock.
struct ElectionRecipe {
    let client: LocalClient

    static let notLeader = EtcdError(code: .unknown, message: "election: not leader")
    static let noLeader = EtcdError(code: .unknown, message: "election: no leader")

    /// Waits until `lease`'s candidacy leads, then returns the leader key and the header of the
    /// campaign's own write.
    func campaign(name: [UInt8], lease: LeaseID, value: [UInt8]) async throws -> CampaignResponse {
        let prefix = name + [UInt8(ascii: "/")]
        let key = KeyPrefix.sessionKey(name, lease: lease)
        var txn = TxnRequest()
        txn.compare = [RecipeRequests.createRevision(of: key, is: 0)]
        txn.success = [RecipeRequests.put(key, value, lease: lease)]
        txn.failure = [RequestOp(.range(RecipeRequests.get(key)))]
        let response = try await client.txn(txn)

        var leaderRevision = response.header!.revision
        if !response.succeeded {
            // Already a candidate under this lease: keep the place, update the value.
            let existing = response.responses[0].rangeResponse!.kvs[0]
            leaderRevision = existing.createRevision
            if existing.value != value {
                do {
                    _ = try await proclaim(key: key, revision: leaderRevision, lease: lease, value: value)
                } catch {
                    _ = try? await resign(key: key, revision: leaderRevision)
                    throw error
                }
            }
        }
        do {
            _ = try await client.waitDeletes(under: prefix, maxCreateRevision: leaderRevision - 1)
        } catch {
            // A candidate that gives up leaves the line; one whose wait failed otherwise stays.
            if Task.isCancelled { _ = try? await resign(key: key, revision: leaderRevision) }
            throw error
        }
        var leader = LeaderKey()
        leader.name = name
        leader.key = key
        leader.rev = leaderRevision
        leader.lease = lease
        var campaign = CampaignResponse()
        campaign.header = response.header
        campaign.leader = leader
        return campaign
    }

    /// Sets the leader's value, if `key` still leads as created at `revision`.
    func proclaim(key: [UInt8], revision: Int64, lease: LeaseID, value: [UInt8]) async throws -> ResponseHeader {
        var txn = TxnRequest()
        txn.compare = [RecipeRequests.createRevision(of: key, is: revision)]
        txn.success = [RecipeRequests.put(key, value, lease: lease)]
        let response = try await client.txn(txn)
        guard response.succeeded else { throw Self.notLeader }
        return response.header!
    }

    /// Steps down, if `key` still is the candidacy created at `revision`; otherwise nothing.
    func resign(key: [UInt8], revision: Int64) async throws -> ResponseHeader {
        var txn = TxnRequest()
        txn.compare = [RecipeRequests.createRevision(of: key, is: revision)]
        txn.success = [RecipeRequests.delete(key)]
        return try await client.txn(txn).header!
    }

    /// The current leader's key-value.
    func leader(name: [UInt8]) throws -> LeaderResponse {
        let found = try client.range(RecipeRequests.firstCreated(under: name + [UInt8(ascii: "/")]))
        guard let kv = found.kvs.first else { throw Self.noLeader }
        var response = LeaderResponse()
        response.header = found.header
        response.kv = kv
        return response
    }

    /// Reports the leader and every value it proclaims, then the next leader when it goes,
    /// until the task is cancelled or the history it follows is compacted away.
    func observe(name: [UInt8], send: (LeaderResponse) -> Void) async throws {
        let prefix = name + [UInt8(ascii: "/")]
        let server = client.server
        while true {
            let found = try client.range(RecipeRequests.firstCreated(under: prefix))
            var response = LeaderResponse()
            if let kv = found.kvs.first {
                response.header = found.header
                response.kv = kv
            } else {
                guard let first = try await firstPut(under: prefix, from: found.header!.revision) else { return }
                response.header = server.header(revision: first.modRevision)
                response.kv = first
            }
            let leader = response.kv!
            send(response)

            // Follow the leader key: each put is a new value; a delete ends its leadership.
            following: for try await events in client.changes(in: KeyRange(start: leader.key, end: .singleKey), from: response.header!.revision + 1) {
                for event in events {
                    if event.type == .delete { break following }
                    var update = LeaderResponse()
                    update.header = server.header(revision: event.kv!.modRevision)
                    update.kv = event.kv
                    send(update)
                }
            }
            try Task.checkCancellation()
        }
    }

    /// The first key put under `prefix` from `revision` on; nil if the task was cancelled.
    private func firstPut(under prefix: [UInt8], from revision: Int64) async throws -> KeyValue? {
        let keys = KeyRange(key: prefix, rangeEnd: KeyPrefix.rangeEnd(of: prefix))
        for try await events in client.changes(in: keys, from: revision) {
            if let put = events.first(where: { $0.type == .put }) { return put.kv }
        }
        return nil
    }
}
