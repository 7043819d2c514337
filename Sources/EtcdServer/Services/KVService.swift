import EtcdWire
import GRPCTransport
import MVCC

/// `etcdserverpb.KV`: each handler validates, then reads the applied state or proposes a
/// command, then fills the response header.
struct KVService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        [
            "Range": unary(RangeRequest.self, RangeResponse.self) { request, context, reply in
                // A serializable read is answered from what this member has applied; a
                // linearizable one first makes sure that includes every acknowledged write.
                if request.serializable {
                    reply(range(request))
                } else if server.isLearner {
                    reply(.failure(.notSupportedForLearner))
                } else {
                    server.linearizableRead(on: context.call.eventLoop) { ready in reply(ready.flatMap { range(request) }) }
                }
            },
            "Put": unary(PutRequest.self, PutResponse.self) { request, context, reply in
                propose(.put(request), size: context.requestBytes, reply: reply) { result in
                    guard case .put(var response) = result else { return nil }
                    response.header = server.header(revision: response.header?.revision)
                    return response
                }
            },
            "DeleteRange": unary(DeleteRangeRequest.self, DeleteRangeResponse.self) { request, context, reply in
                propose(.deleteRange(request), size: context.requestBytes, reply: reply) { result in
                    guard case .deleteRange(var response) = result else { return nil }
                    response.header = server.header(revision: response.header?.revision)
                    return response
                }
            },
            "Txn": unary(TxnRequest.self, TxnResponse.self) { request, context, reply in
                if KVExecutor.isReadOnly(request) {
                    // Read-only transactions are linearizable reads of the applied state, as in etcd.
                    server.linearizableRead(on: context.call.eventLoop) { ready in reply(ready.flatMap { readOnlyTxn(request) }) }
                    return
                }
                propose(.txn(request), size: context.requestBytes, reply: reply) { result in
                    guard case .txn(var response) = result else { return nil }
                    response.header = server.header(revision: response.header?.revision)
                    return response
                }
            },
            "Compact": unary(CompactionRequest.self, CompactionResponse.self) { request, _, reply in
                propose(.compact(request), size: 0, reply: reply) { result in
                    guard case .compact(var response) = result else { return nil }
                    response.header = server.header(revision: response.header?.revision)
                    return response
                }
            },
        ]
    }

    /// Reads of the applied state, with this member's header.
    private func range(_ request: RangeRequest) -> Result<RangeResponse, EtcdError> {
        Result { try server.stateMachine.range(request) }
            .mapError(EtcdError.from)
            .map { response in var response = response; response.header = server.header(revision: response.header?.revision); return response }
    }

    private func readOnlyTxn(_ request: TxnRequest) -> Result<TxnResponse, EtcdError> {
        Result { try server.stateMachine.readOnlyTxn(request) }
            .mapError(EtcdError.from)
            .map { response in var response = response; response.header = server.header(revision: response.header?.revision); return response }
    }

    /// Validates a write, checks its size against `--max-request-bytes`, and proposes it.
    private func propose<Response: Sendable>(
        _ command: Command, size: Int,
        reply: @escaping @Sendable (Result<Response, EtcdError>) -> Void,
        extract: @escaping @Sendable (CommandResult) -> Response?
    ) {
        do {
            try server.stateMachine.validate(command)
        } catch {
            reply(.failure(EtcdError.from(error)))
            return
        }
        guard size <= server.configuration.maxRequestBytes else {
            reply(.failure(.requestTooLarge))
            return
        }
        server.propose(command) { result in
            reply(result.flatMap { outcome in
                guard let response = extract(outcome) else {
                    preconditionFailure("apply answered \(outcome) to \(command)")
                }
                return .success(response)
            })
        }
    }
}

extension EtcdError {
    /// Errors from the store are already `EtcdError`s; anything else is a bug surfaced as Internal.
    static func from(_ error: Error) -> EtcdError {
        (error as? EtcdError) ?? EtcdError(code: .internal, message: "swift-etcd: \(error)")
    }
}
