import Logging
import NIOCore

/// gRPC over one HTTP/2 connection, without I/O: turns request streams into
/// `GRPCServerCall`s for the handler and their messages and statuses back into frames.
/// Bytes go in through `receive`; frames to write come out of `drainOutput`.
///
/// Confined to `eventLoop`: `GRPCServerCall` hops there before calling in.
final class GRPCServerConnection {
    struct Configuration {
        var maxReceiveMessageBytes: Int
        var session: HTTP2ServerSession.Settings
    }

    let eventLoop: EventLoop
    /// Carries the calls' answers from other threads to `eventLoop`.
    let hops: GRPCCallHops
    private let maxReceiveMessageBytes: Int
    private let handler: GRPCCallHandler
    private let logger: Logger
    private var session: HTTP2ServerSession!
    private var calls: [Int32: GRPCServerCall] = [:]
    private var isReceiving = false
    /// One timer per connection for all `grpc-timeout` deadlines, armed for the earliest
    /// deadline it knows of. A call that ends before its deadline leaves it alone; when it
    /// fires, it expires the open calls whose deadline passed and re-arms for the earliest of
    /// the rest. So calls with the usual long timeouts cost no timer of their own.
    private var deadlineTimer: Scheduled<Void>?
    private var deadlineTimerFiresAt = NIODeadline.distantFuture

    /// Called when frames were queued outside `receive` (e.g. a handler answered later), so
    /// the owner knows to schedule a `drainOutput`.
    var onOutputPending: (() -> Void)?

    init(configuration: Configuration, eventLoop: EventLoop, handler: GRPCCallHandler, logger: Logger) throws {
        self.eventLoop = eventLoop
        self.hops = GRPCCallHops(eventLoop: eventLoop)
        self.maxReceiveMessageBytes = configuration.maxReceiveMessageBytes
        self.handler = handler
        self.logger = logger
        self.session = try HTTP2ServerSession(settings: configuration.session, delegate: self)
    }

    // MARK: Driving the connection

    func receive(_ bytes: ByteBuffer) throws {
        isReceiving = true
        defer { isReceiving = false }
        try bytes.withUnsafeReadableBytes { try session.receive($0) }
    }

    func drainOutput(into buffer: inout ByteBuffer, limit: Int) throws {
        try session.drainOutput(into: &buffer, limit: limit)
    }

    var hasPendingOutput: Bool { session.wantsWrite }

    /// Nothing left to read or write: the connection can be closed.
    var isFinished: Bool { session.isFinished }

    /// Refuse new calls and let the open ones finish; `isFinished` turns true after the last.
    func beginGracefulShutdown() {
        session.submitGoAway()
        outputPending()
    }

    /// The socket is gone: every call still open is cancelled.
    func connectionClosed() {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        deadlineTimerFiresAt = .distantFuture
        let open = calls.values
        calls = [:]
        for call in open {
            call.streamClosed()
        }
    }

    // MARK: Called by GRPCServerCall

    func send(_ message: [UInt8], streamID: Int32, startResponse: Bool) {
        if startResponse {
            session.submitResponse(streamID: streamID, headers: HeaderBlocks.response, hasBody: true)
        }
        session.appendMessage(streamID: streamID, message)
        outputPending()
    }

    func finish(_ status: GRPCStatus, streamID: Int32, responseStarted: Bool) {
        let isOK = status.code == 0 && status.message.isEmpty
        if responseStarted {
            let trailers = isOK ? HeaderBlocks.okTrailers : HTTP2HeaderBlock(Self.trailers(status))
            session.finishBody(streamID: streamID, trailers: trailers)
        } else {
            let headers = isOK ? HeaderBlocks.okTrailersOnly : HTTP2HeaderBlock(Self.responseHeaders + Self.trailers(status))
            session.submitResponse(streamID: streamID, headers: headers, hasBody: false)
        }
        outputPending()
    }

    func bufferedOutboundBytes(streamID: Int32) -> Int {
        session.bufferedBodyBytes(streamID: streamID)
    }

    // MARK: Private

    private static let responseHeaders: HTTP2HeaderFields = [
        (name: ":status", value: "200"),
        (name: "content-type", value: "application/grpc"),
    ]

    private static func trailers(_ status: GRPCStatus) -> HTTP2HeaderFields {
        [
            (name: "grpc-status", value: String(status.code)),
            (name: "grpc-message", value: PercentEncoding.encodeGRPCMessage(status.message)),
        ]
    }

    /// The header blocks of every successful call, built once for the process.
    private enum HeaderBlocks {
        static let response = HTTP2HeaderBlock(responseHeaders, permanent: true)
        static let okTrailers = HTTP2HeaderBlock(trailers(.ok), permanent: true)
        static let okTrailersOnly = HTTP2HeaderBlock(responseHeaders + trailers(.ok), permanent: true)
    }

    // MARK: Deadlines

    private func watchDeadline(_ deadline: NIODeadline) {
        guard deadline < deadlineTimerFiresAt else { return }
        deadlineTimer?.cancel()
        armDeadlineTimer(at: deadline)
    }

    private func armDeadlineTimer(at deadline: NIODeadline) {
        deadlineTimerFiresAt = deadline
        deadlineTimer = eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.expireDeadlines()
        }
    }

    /// Ends every open call whose deadline passed, earliest first, with DEADLINE_EXCEEDED.
    private func expireDeadlines() {
        deadlineTimer = nil
        deadlineTimerFiresAt = .distantFuture
        let now = eventLoop.now
        var expired: [GRPCServerCall] = []
        var next = NIODeadline.distantFuture
        for call in calls.values where call.isOpen {
            guard let deadline = call.deadline else { continue }
            if deadline <= now {
                expired.append(call)
            } else if deadline < next {
                next = deadline
            }
        }
        expired.sort { ($0.deadline!, $0.streamID) < ($1.deadline!, $1.streamID) }
        for call in expired {
            call.failByTransport(GRPCStatus(code: GRPCStatus.Code.deadlineExceeded, message: "context deadline exceeded"))
        }
        // The handlers that just ran may have armed the timer again; keep the earlier one.
        if next < deadlineTimerFiresAt {
            deadlineTimer?.cancel()
            armDeadlineTimer(at: next)
        }
    }

    private func outputPending() {
        if !isReceiving {
            onOutputPending?()
        }
    }

    /// Answers a request that never becomes a call. The HTTP status explains the problem to
    /// non-gRPC clients; gRPC clients read grpc-status.
    private func reject(streamID: Int32, httpStatus: Int, _ status: GRPCStatus) {
        logger.debug("rejecting HTTP/2 request", metadata: ["stream": "\(streamID)", "reason": "\(status.message)"])
        session.submitResponse(
            streamID: streamID,
            headers: HTTP2HeaderBlock([
                (name: ":status", value: String(httpStatus)),
                (name: "content-type", value: "application/grpc"),
                (name: "grpc-status", value: String(status.code)),
                (name: "grpc-message", value: PercentEncoding.encodeGRPCMessage(status.message)),
            ]),
            hasBody: false
        )
        outputPending()
    }

    private func deliverMessages(_ bytes: UnsafeRawBufferPointer, to call: GRPCServerCall) {
        var input = bytes
        while call.isOpen {
            let message: [UInt8]
            do {
                guard let next = try call.deframer.nextMessage(consuming: &input) else { return }
                message = next
            } catch {
                call.failByTransport(status(refusing: error, on: call))
                return
            }
            call.onMessage?(message)
        }
    }

    /// No decompressors are installed, so a compressed message is answered the way grpc-go
    /// answers it; so is one over the size limit.
    private func status(refusing failure: GRPCMessageDeframer.Failure, on call: GRPCServerCall) -> GRPCStatus {
        switch failure {
        case .tooLarge(let length, let limit):
            return GRPCStatus(
                code: GRPCStatus.Code.resourceExhausted,
                message: "grpc: received message larger than max (\(length) vs. \(limit))"
            )
        case .compressed:
            if let encoding = call.metadataValue("grpc-encoding"), encoding != "identity" {
                return GRPCStatus(
                    code: GRPCStatus.Code.unimplemented,
                    message: "grpc: Decompressor is not installed for grpc-encoding \"\(encoding)\""
                )
            }
            return GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "grpc: compressed flag set with identity or empty encoding"
            )
        }
    }
}

extension GRPCServerConnection: HTTP2ServerSessionDelegate {
    func session(_ session: HTTP2ServerSession, didReceiveRequest head: HTTP2RequestHead, streamID: Int32, endStream: Bool) {
        if case .other(let method) = head.method {
            reject(streamID: streamID, httpStatus: 405, GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "received a request with :method \(method); gRPC requires POST"
            ))
            return
        }
        let metadata = head.metadata
        guard metadata.withFirstValue(named: "content-type", Self.isGRPCContentType) == true else {
            reject(streamID: streamID, httpStatus: 415, GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "invalid gRPC request content-type \"\(metadata.value(forName: "content-type") ?? "")\""
            ))
            return
        }
        var deadline: NIODeadline?
        if let timeout = metadata.withFirstValue(named: "grpc-timeout", { try? GRPCTimeout.parse($0) }) {
            guard let amount = timeout else {
                reject(streamID: streamID, httpStatus: 400, GRPCStatus(
                    code: GRPCStatus.Code.internal,
                    message: "malformed grpc-timeout \"\(metadata.value(forName: "grpc-timeout") ?? "")\""
                ))
                return
            }
            deadline = eventLoop.now + amount
        }

        let call = GRPCServerCall(
            path: head.path, metadata: metadata, deadline: deadline, streamID: streamID,
            maxMessageBytes: maxReceiveMessageBytes, connection: self
        )
        calls[streamID] = call
        if let deadline {
            watchDeadline(deadline)
        }
        handler.handle(call)
        if endStream {
            self.session(session, didReceiveEndStream: streamID)
        }
    }

    func session(_ session: HTTP2ServerSession, didReceiveData bytes: UnsafeRawBufferPointer, streamID: Int32) {
        guard let call = calls[streamID], call.isOpen else { return }
        deliverMessages(bytes, to: call)
    }

    func session(_ session: HTTP2ServerSession, didReceiveEndStream streamID: Int32) {
        guard let call = calls[streamID], call.isOpen else { return }
        if call.deframer.hasPartialMessage {
            call.failByTransport(GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "grpc: request ended in the middle of a message"
            ))
            return
        }
        call.onHalfClose?()
    }

    func session(_ session: HTTP2ServerSession, streamDidClose streamID: Int32, errorCode: UInt32) {
        calls.removeValue(forKey: streamID)?.streamClosed()
    }

    /// "application/grpc", optionally followed by "+subtype" or parameters.
    static func isGRPCContentType(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { isGRPCContentType(UnsafeRawBufferPointer($0)) }
    }

    static func isGRPCContentType(_ value: UnsafeRawBufferPointer) -> Bool {
        let base: StaticString = "application/grpc"
        let baseCount = base.utf8CodeUnitCount
        guard value.count >= baseCount,
              UnsafeRawBufferPointer(start: base.utf8Start, count: baseCount).elementsEqual(value.prefix(baseCount))
        else { return false }
        return value.count == baseCount || value[baseCount] == UInt8(ascii: "+") || value[baseCount] == UInt8(ascii: ";")
    }
}
