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
    private let maxReceiveMessageBytes: Int
    private let handler: GRPCCallHandler
    private let logger: Logger
    private var session: HTTP2ServerSession!
    private var calls: [Int32: GRPCServerCall] = [:]
    private var isReceiving = false

    /// Called when frames were queued outside `receive` (e.g. a handler answered later), so
    /// the owner knows to schedule a `drainOutput`.
    var onOutputPending: (() -> Void)?

    init(configuration: Configuration, eventLoop: EventLoop, handler: GRPCCallHandler, logger: Logger) throws {
        self.eventLoop = eventLoop
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
        let open = calls.values
        calls = [:]
        for call in open {
            call.streamClosed()
        }
    }

    // MARK: Called by GRPCServerCall

    func send(_ message: [UInt8], streamID: Int32, startResponse: Bool) {
        if startResponse {
            session.submitResponse(streamID: streamID, headers: Self.responseHeaders, hasBody: true)
        }
        session.appendBody(streamID: streamID) { GRPCMessageFramer.write(message, into: &$0) }
        outputPending()
    }

    func finish(_ status: GRPCStatus, streamID: Int32, responseStarted: Bool) {
        let trailers: HTTP2HeaderFields = [
            (name: "grpc-status", value: String(status.code)),
            (name: "grpc-message", value: PercentEncoding.encodeGRPCMessage(status.message)),
        ]
        if responseStarted {
            session.finishBody(streamID: streamID, trailers: trailers)
        } else {
            session.submitResponse(streamID: streamID, headers: Self.responseHeaders + trailers, hasBody: false)
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
            headers: [
                (name: ":status", value: String(httpStatus)),
                (name: "content-type", value: "application/grpc"),
                (name: "grpc-status", value: String(status.code)),
                (name: "grpc-message", value: PercentEncoding.encodeGRPCMessage(status.message)),
            ],
            hasBody: false
        )
        outputPending()
    }

    private func deliverMessages(to call: GRPCServerCall) {
        while call.isOpen {
            let message: [UInt8]
            do {
                guard let next = try call.deframer.nextMessage() else { return }
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
    func session(_ session: HTTP2ServerSession, didReceiveRequest headers: HTTP2HeaderFields, streamID: Int32, endStream: Bool) {
        var method = ""
        var path = ""
        var metadata: [(name: String, value: String)] = []
        metadata.reserveCapacity(headers.count)
        for header in headers {
            switch header.name {
            case ":method": method = header.value
            case ":path": path = header.value
            case let name where name.hasPrefix(":"): continue
            default: metadata.append(header)
            }
        }
        guard method == "POST" else {
            reject(streamID: streamID, httpStatus: 405, GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "received a request with :method \(method); gRPC requires POST"
            ))
            return
        }
        let contentType = metadata.first(where: { $0.name == "content-type" })?.value ?? ""
        guard Self.isGRPCContentType(contentType) else {
            reject(streamID: streamID, httpStatus: 415, GRPCStatus(
                code: GRPCStatus.Code.internal,
                message: "invalid gRPC request content-type \"\(contentType)\""
            ))
            return
        }
        var deadline: NIODeadline?
        if let timeout = metadata.first(where: { $0.name == "grpc-timeout" })?.value {
            guard let amount = try? GRPCTimeout.parse(timeout) else {
                reject(streamID: streamID, httpStatus: 400, GRPCStatus(
                    code: GRPCStatus.Code.internal,
                    message: "malformed grpc-timeout \"\(timeout)\""
                ))
                return
            }
            deadline = eventLoop.now + amount
        }

        let call = GRPCServerCall(
            path: path, metadata: metadata, deadline: deadline, streamID: streamID,
            maxMessageBytes: maxReceiveMessageBytes, connection: self
        )
        calls[streamID] = call
        if let deadline {
            call.deadlineTimer = eventLoop.scheduleTask(deadline: deadline) {
                call.failByTransport(GRPCStatus(code: GRPCStatus.Code.deadlineExceeded, message: "context deadline exceeded"))
            }
        }
        handler.handle(call)
        if endStream {
            self.session(session, didReceiveEndStream: streamID)
        }
    }

    func session(_ session: HTTP2ServerSession, didReceiveData bytes: UnsafeRawBufferPointer, streamID: Int32) {
        guard let call = calls[streamID], call.isOpen else { return }
        call.deframer.append(bytes)
        deliverMessages(to: call)
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
        let base = "application/grpc"
        guard value.hasPrefix(base) else { return false }
        let rest = value.utf8.dropFirst(base.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: ";")
    }
}
