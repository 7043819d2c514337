import EtcdWire
import GRPCTransport

/// What a service method does with one call; built by the helpers below.
typealias MethodHandler = (GRPCServerCall) -> Void

/// What a unary handler knows about its call besides the decoded request.
struct RPCContext {
    let call: GRPCServerCall
    /// Size of the request message as received, for the `--max-request-bytes` check.
    let requestBytes: Int
}

/// The shared shape of every unary handler: decode → handle → encode or fail, counted in metrics.
/// The handler answers through `reply`, from any thread, exactly once.
func unary<Request: ProtoMessage, Response: ProtoMessage>(
    _ request: Request.Type, _ response: Response.Type,
    _ handle: @escaping (Request, RPCContext, @escaping @Sendable (Result<Response, EtcdError>) -> Void) -> Void
) -> MethodHandler {
    return { call in
        // One object per call holds what the callbacks share, so each callback captures only
        // it (no closure context or boxed flag to allocate per call).
        let state = UnaryCallState<Request, Response>(call: call, handle: handle)
        call.onMessage = { [state] bytes in state.received(bytes) }
        call.onHalfClose = { [state] in state.halfClosed() }
    }
}

/// The state of one unary call. Confined to the call's event loop, where its callbacks run.
private final class UnaryCallState<Request: ProtoMessage, Response: ProtoMessage> {
    let call: GRPCServerCall
    let handle: (Request, RPCContext, @escaping @Sendable (Result<Response, EtcdError>) -> Void) -> Void
    var hasMessage = false

    init(call: GRPCServerCall, handle: @escaping (Request, RPCContext, @escaping @Sendable (Result<Response, EtcdError>) -> Void) -> Void) {
        self.call = call
        self.handle = handle
    }

    func received(_ bytes: [UInt8]) {
        // A unary call carries one message; anything after it is ignored.
        guard !hasMessage else { return }
        hasMessage = true
        let decoded: Request
        do {
            decoded = try Request(protobuf: bytes[...])
        } catch {
            // grpc-go, and so etcd, answers an undecodable request with Internal in these words.
            call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: error unmarshalling request: \(error)")))
            return
        }
        let call = self.call
        handle(decoded, RPCContext(call: call, requestBytes: bytes.count)) { result in
            switch result {
            case .success(let response):
                call.finish(with: response.protobuf())
            case .failure(let error):
                call.finish(GRPCStatus(error))
            }
        }
    }

    func halfClosed() {
        if !hasMessage {
            hasMessage = true
            call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: client streaming protocol violation: get <nil>, want <EOF>")))
        }
    }
}

extension GRPCStatus {
    init(_ error: EtcdError) {
        self.init(code: error.code.rawValue, message: error.message)
    }
}
