import EtcdWire
import GRPCTransport

// Handlers written as async functions, for the services that wait (Lock, Election). Each call
// runs in a task of its own, cancelled if the call ends first (the client gave up, or its
// deadline passed), as etcd cancels the call's context.

/// A unary method as an async function.
func asyncUnary<Request: ProtoMessage, Response: ProtoMessage>(
    _ request: Request.Type, _ response: Response.Type,
    _ handle: @escaping @Sendable (Request) async throws -> Response
) -> MethodHandler {
    unary(request, response) { request, context, reply in
        let task = Task {
            do {
                reply(.success(try await handle(request)))
            } catch {
                reply(.failure(.fromEmbeddedClient(error)))
            }
        }
        context.call.onCancel = { task.cancel() }
    }
}

/// A server-streaming method as an async function that sends each response through `send`;
/// the call ends with OK when the function returns.
func asyncServerStream<Request: ProtoMessage, Response: ProtoMessage>(
    _ request: Request.Type, _ response: Response.Type,
    _ handle: @escaping @Sendable (Request, _ send: @escaping @Sendable (Response) -> Void) async throws -> Void
) -> MethodHandler {
    return { call in
        var received = false
        call.onMessage = { bytes in
            guard !received else { return }
            received = true
            let decoded: Request
            do {
                decoded = try Request(protobuf: bytes[...])
            } catch {
                call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: error unmarshalling request: \(error)")))
                return
            }
            // `send` and `finish` are called from the task's thread, so they keep their order.
            let task = Task {
                do {
                    try await handle(decoded) { call.send($0.protobuf()) }
                    call.finish(.ok)
                } catch {
                    call.finish(GRPCStatus(.fromEmbeddedClient(error)))
                }
            }
            call.onCancel = { task.cancel() }
        }
        call.onHalfClose = {
            if !received {
                received = true
                call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: client streaming protocol violation: get <nil>, want <EOF>")))
            }
        }
    }
}

extension EtcdError {
    /// etcd's Lock and Election services call the server through an embedded clientv3, which
    /// turns etcd's errors into plain Go errors; grpc-go then sends them with code Unknown and
    /// the same text. Ours keep the text and take that code.
    static func fromEmbeddedClient(_ error: Error) -> EtcdError {
        if let error = error as? EtcdError { return EtcdError(code: .unknown, message: error.message) }
        if error is CancellationError { return EtcdError(code: .canceled, message: "context canceled") }
        return EtcdError(code: .unknown, message: "\(error)")
    }
}
