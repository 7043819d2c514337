import EtcdWire
import Lease
import MVCC

/// The requests etcd's Lock and Election services make through an embedded clientv3, made
/// inside the server: reads go to the applied state and writes through the apply loop, exactly
/// as a client's would, with the same errors and full response headers.
struct LocalClient: Sendable {
    let server: EtcdServer

    func range(_ request: RangeRequest) throws -> RangeResponse {
        var response = try server.stateMachine.range(request)
        response.header = server.header(revision: response.header?.revision)
        return response
    }

    func txn(_ request: TxnRequest) async throws -> TxnResponse {
        try server.stateMachine.validate(.txn(request))
        guard case .txn(var response) = try await propose(.txn(request)) else { preconditionFailure("apply answered a txn with something else") }
        response.header = server.header(revision: response.header?.revision)
        return response
    }

    func delete(_ key: [UInt8]) async throws -> DeleteRangeResponse {
        var request = DeleteRangeRequest()
        request.key = key
        try server.stateMachine.validate(.deleteRange(request))
        guard case .deleteRange(var response) = try await propose(.deleteRange(request)) else { preconditionFailure("apply answered a delete with something else") }
        response.header = server.header(revision: response.header?.revision)
        return response
    }

    func grant(ttl: Int64) async throws -> LeaseID {
        var request = LeaseGrantRequest()
        request.ttl = ttl
        return try await withCheckedThrowingContinuation { continuation in
            server.grantLease(request) { continuation.resume(with: $0.map(\.id)) }
        }
    }

    /// The changes to `keys` from `revision` on, as a watch started there would see them.
    func changes(in keys: KeyRange, from revision: Int64) -> AsyncThrowingStream<[Event], Error> {
        server.changeFeed.changes(in: keys, from: revision)
    }

    /// Proposals are not abandoned when the waiting task is cancelled: like a client's request
    /// that already reached the server, the write may still happen, and the caller learns how.
    private func propose(_ command: Command) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            server.propose(command) { continuation.resume(with: $0) }
        }
    }
}
