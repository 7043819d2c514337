import NIOCore

/// Receives every RPC that arrives on a client port. Called on the connection's event loop
/// when the request HEADERS arrive; set the call's callbacks before returning.
public protocol GRPCCallHandler: AnyObject, Sendable {
    func handle(_ call: GRPCServerCall)
}

/// One RPC: one HTTP/2 stream, request metadata, messages both ways, and a final status.
///
/// Threading: all state lives on `eventLoop`. The callbacks are invoked there and must be set
/// there; `send` and `finish` may be called from any thread and hop to `eventLoop` first
/// (through the connection's `GRPCCallHops`, in batches). That rule is why this class may be
/// `@unchecked Sendable`. Calls made from one thread (or one serial queue) keep their order; a
/// `finish` issued on the event loop can overtake a `send` still hopping from another thread.
public final class GRPCServerCall: @unchecked Sendable {
    /// The request `:path`, e.g. "/etcdserverpb.KV/Range".
    public let path: String
    /// Request headers without pseudo-headers, as received; turned into `String`s on demand.
    public let requestMetadata: GRPCRequestMetadata
    /// Request headers without pseudo-headers; names are lower-case. Built on each use:
    /// prefer `metadataValue(_:)` for a single header.
    public var metadata: [(name: String, value: String)] { requestMetadata.fields }
    public let eventLoop: EventLoop
    /// When the client's `grpc-timeout` runs out; the transport then answers DEADLINE_EXCEEDED.
    public let deadline: NIODeadline?

    /// One request message, without its 5-byte prefix.
    public var onMessage: (([UInt8]) -> Void)?
    /// The client finished sending (END_STREAM).
    public var onHalfClose: (() -> Void)?
    /// The call ended without the handler finishing it: client reset, connection closed,
    /// deadline passed or a request the transport refused. The transport has already
    /// answered the client where that was still possible.
    public var onCancel: (() -> Void)?
    /// The call is over, with the status the client was sent: the handler's, one the
    /// transport answered with, or Cancelled (1) if the stream ended before any status.
    /// Always the last callback, exactly once (e.g. for per-call metrics).
    public var onFinish: ((GRPCStatus) -> Void)?

    private enum State {
        case open(responseStarted: Bool)
        /// The handler (or the transport) sent the final status; the stream may still be open.
        case finished
        /// The HTTP/2 stream is gone.
        case closed
    }

    let streamID: Int32
    var deframer: GRPCMessageDeframer
    /// How `send` and `finish` reach the event loop from other threads (shared per connection).
    private let hops: GRPCCallHops
    private var state = State.open(responseStarted: false)
    /// Strong while the stream lives; dropped when it closes so call and connection don't keep
    /// each other alive.
    private var connection: GRPCServerConnection?

    init(
        path: String, metadata: GRPCRequestMetadata, deadline: NIODeadline?,
        streamID: Int32, maxMessageBytes: Int, connection: GRPCServerConnection
    ) {
        self.path = path
        self.requestMetadata = metadata
        self.eventLoop = connection.eventLoop
        self.deadline = deadline
        self.streamID = streamID
        self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
        self.connection = connection
        self.hops = connection.hops
    }

    /// The value of the first request header called `name` (lower-case).
    public func metadataValue(_ name: String) -> String? {
        requestMetadata.value(forName: name)
    }

    /// Sends one response message, preceded by the response HEADERS the first time.
    public func send(_ message: [UInt8]) {
        if eventLoop.inEventLoop {
            sendOnEventLoop(message)
        } else {
            hops.enqueue(.send(self, message))
        }
    }

    /// Ends the call with `status`: trailers after the messages, or a trailers-only response
    /// if nothing was sent.
    public func finish(_ status: GRPCStatus) {
        if eventLoop.inEventLoop {
            finishOnEventLoop(status)
        } else {
            hops.enqueue(.finish(self, status))
        }
    }

    /// Ends the call from outside its handler (say, the member lost its leader): the client gets
    /// `status`, and the handler hears `onCancel` so it lets go of what the call held.
    public func abort(_ status: GRPCStatus) {
        if eventLoop.inEventLoop {
            failByTransport(status)
        } else {
            eventLoop.execute { self.failByTransport(status) }
        }
    }

    /// `send(message)` then `finish(status)` with a single hop to the event loop: the usual
    /// end of a unary call answered from another thread.
    public func finish(with message: [UInt8], status: GRPCStatus = .ok) {
        if eventLoop.inEventLoop {
            sendOnEventLoop(message)
            finishOnEventLoop(status)
        } else {
            hops.enqueue(.sendAndFinish(self, message, status))
        }
    }

    /// Response bytes queued on this stream and not yet framed, because the client's
    /// flow-control window or the socket is full. Event loop only.
    public var bufferedOutboundBytes: Int {
        eventLoop.preconditionInEventLoop()
        return connection?.bufferedOutboundBytes(streamID: streamID) ?? 0
    }

    // MARK: Used by GRPCServerConnection, on the event loop

    /// True until a final status was sent or the stream closed; inbound events are dropped after.
    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// The transport ends the call itself (deadline, refused message): answer the client,
    /// then tell the handler.
    func failByTransport(_ status: GRPCStatus) {
        complete(sending: status, cancelHandler: true)
    }

    func streamClosed() {
        let wasOpen = isOpen
        let (cancel, finished) = (onCancel, onFinish)
        state = .closed
        connection = nil
        releaseCallbacks()
        if wasOpen {
            cancel?()
            finished?(GRPCStatus(code: GRPCStatus.Code.cancelled, message: "context canceled"))
        }
    }

    func sendOnEventLoop(_ message: [UInt8]) {
        guard case .open(let responseStarted) = state, let connection else { return }
        state = .open(responseStarted: true)
        connection.send(message, streamID: streamID, startResponse: !responseStarted)
    }

    func finishOnEventLoop(_ status: GRPCStatus) {
        complete(sending: status, cancelHandler: false)
    }

    private func complete(sending status: GRPCStatus, cancelHandler: Bool) {
        guard case .open(let responseStarted) = state, let connection else { return }
        let (cancel, finished) = (onCancel, onFinish)
        state = .finished
        releaseCallbacks()
        connection.finish(status, streamID: streamID, responseStarted: responseStarted)
        if cancelHandler {
            cancel?()
        }
        finished?(status)
    }

    /// Nothing calls back into the handler after the call ended; dropping the closures also
    /// breaks the usual cycle call → closure → handler state → call.
    private func releaseCallbacks() {
        onMessage = nil
        onHalfClose = nil
        onCancel = nil
        onFinish = nil
    }
}
