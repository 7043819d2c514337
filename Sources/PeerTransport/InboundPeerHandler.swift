import Logging
import NIOCore

/// What an accepted connection needs from the transport.
struct InboundEnvironment: Sendable {
    var configuration: PeerTransportConfiguration
    var handler: PeerTransportHandler
    var logger: Logger
    var connections: InboundConnections
    var rejections: RepeatedLineFilter
    var isCurrentPeer: @Sendable (UInt64) -> Bool
}

/// Accepting end of a peer connection: checks the hello, answers it, then serves the channel it
/// announced (messages, one snapshot, or anonymous requests).
final class InboundPeerHandler: ChannelInboundHandler {
    typealias InboundIn = PeerServerInput
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case awaitingHello
        case messages(sender: UInt64)
        case snapshot(sender: UInt64)
        case anonymous
        /// Refused, or the snapshot was delivered: whatever else arrives is ignored.
        case finished
    }

    private let environment: InboundEnvironment
    private var phase = Phase.awaitingHello
    /// Kept out of `phase` so that appending to it never copies the bytes gathered so far.
    private var snapshot: SnapshotAssembly?
    private var helloTimer: Scheduled<Void>?

    init(environment: InboundEnvironment) {
        self.environment = environment
    }

    private var configuration: PeerTransportConfiguration { environment.configuration }

    func channelActive(context: ChannelHandlerContext) {
        // A dialler that never says hello does not get to hold the socket.
        let channel = context.channel
        helloTimer = context.eventLoop.scheduleTask(in: configuration.connectTimeout) {
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            switch (phase, unwrapInboundIn(data)) {
            case let (.awaitingHello, .greeting(greeting)):
                helloTimer?.cancel()
                answer(greeting, context: context)
            case let (.messages(sender), .frame(frame)):
                try messageChannelFrame(frame, from: sender, context: context)
            case let (.snapshot(sender), .frame(frame)):
                try snapshotChannelFrame(frame, from: sender, context: context)
            case let (.anonymous, .frame(frame)):
                guard frame.type == .request else { throw PeerProtocolError.unexpected(frame.type) }
                try serveRequest(frame, from: 0, context: context)
            case (.finished, _):
                break
            case (.awaitingHello, .frame), (_, .greeting):
                // The decoder yields exactly one greeting, before any frame.
                preconditionFailure("peer stream out of order")
            }
        } catch {
            errorCaught(context: context, error: error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A peer breaking the protocol is worth a warning; a reset from a restarting peer is not.
        let level: Logger.Level = error is PeerProtocolError ? .warning : .debug
        environment.logger.log(level: level, "closing peer connection from \(remoteDescription(context)): \(error)")
        phase = .finished
        context.close(promise: nil)
    }

    // MARK: - Handshake

    private func answer(_ greeting: PeerGreeting, context: ChannelHandlerContext) {
        let hello: PeerHello
        switch greeting {
        case let .unsupported(reason):
            refuse(reason, key: 0, dialler: dialler(nil, context), context: context)
            return
        case let .hello(received):
            hello = received
        }
        if let reason = hello.refusal(
            localID: configuration.localID, clusterID: configuration.clusterID,
            isCurrentPeer: environment.isCurrentPeer
        ) {
            let sender = hello.kind == .anonymousRequest ? nil : hello.senderID
            refuse(reason, key: hello.senderID, dialler: dialler(sender, context), context: context)
            return
        }
        switch hello.kind {
        case .messages:
            phase = .messages(sender: hello.senderID)
            environment.connections.identify(context.channel, as: hello.senderID)
            environment.rejections.forget(hello.senderID)
        case .snapshot:
            phase = .snapshot(sender: hello.senderID)
            environment.connections.identify(context.channel, as: hello.senderID)
        case .anonymousRequest:
            phase = .anonymous
        }
        environment.logger.debug("accepted \(hello.kind) connection from \(remoteDescription(context))")
        var buffer = context.channel.allocator.buffer(capacity: PeerFrame.headerBytes)
        buffer.writePeerFrameHeader(.accepted, payloadBytes: 0)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Sends `reason` back, logs it (once per change for the dialler `key`) and closes.
    private func refuse(_ reason: String, key: UInt64, dialler: String, what: String = "peer connection",
                        context: ChannelHandlerContext) {
        let line = "rejected \(what) from \(dialler): \(reason)"
        if environment.rejections.isNew(reason, for: key) {
            environment.logger.warning("\(line)")
        } else {
            environment.logger.debug("\(line)")
        }
        phase = .finished
        var buffer = context.channel.allocator.buffer(capacity: PeerFrame.headerBytes + reason.utf8.count)
        buffer.writePeerFrame(.rejected, payload: Array(reason.utf8))
        // Half-close, so the dialler reads the reason: a full close with its unread frames
        // (snapshot chunks, say) in our receive buffer would send a reset that discards it.
        // The dialler closes once it has read the reason; the timer covers one that doesn't.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: configuration.connectTimeout) {
            channel.close(promise: nil)
        }
    }

    // MARK: - Channels

    private func messageChannelFrame(_ frame: PeerFrame, from sender: UInt64, context: ChannelHandlerContext) throws {
        // Membership may have changed since the hello: a removed member is cut off at once.
        guard environment.isCurrentPeer(sender) else {
            environment.logger.info("closing peer connection from \(remoteDescription(context)): no longer a member")
            phase = .finished
            context.close(promise: nil)
            return
        }
        switch frame.type {
        case .message:
            environment.handler.receivedMessage(Array(buffer: frame.payload), from: sender)
        case .ping:
            var pong = context.channel.allocator.buffer(capacity: PeerFrame.headerBytes + frame.payload.readableBytes)
            pong.writePeerFrameHeader(.pong, payloadBytes: frame.payload.readableBytes)
            pong.writeImmutableBuffer(frame.payload)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .request:
            try serveRequest(frame, from: sender, context: context)
        default:
            throw PeerProtocolError.unexpected(frame.type)
        }
    }

    private func snapshotChannelFrame(_ frame: PeerFrame, from sender: UInt64, context: ChannelHandlerContext) throws {
        switch frame.type {
        case .snapshotBegin where snapshot == nil:
            guard frame.payload.readableBytes == 8,
                  let total = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt64.self) else {
                throw PeerProtocolError.malformed("snapshot begin")
            }
            guard total <= UInt64(configuration.maxSnapshotBytes) else {
                refuse("snapshot of \(total) bytes exceeds the limit of \(configuration.maxSnapshotBytes) bytes",
                       key: sender, dialler: remoteDescription(context), what: "snapshot", context: context)
                return
            }
            snapshot = SnapshotAssembly(totalBytes: Int(total))
        case .snapshotChunk where snapshot != nil:
            try snapshot?.append(frame.payload)
        default:
            throw PeerProtocolError.unexpected(frame.type)
        }
        guard let assembled = snapshot, assembled.isComplete else { return }
        snapshot = nil
        guard environment.isCurrentPeer(sender) else {
            refuse("member \(memberHex(sender)) is not a current member of this cluster",
                   key: sender, dialler: remoteDescription(context), what: "snapshot", context: context)
            return
        }
        phase = .finished
        environment.handler.receivedSnapshot(assembled.bytes, from: sender)
        var ack = context.channel.allocator.buffer(capacity: PeerFrame.headerBytes)
        ack.writePeerFrameHeader(.snapshotAck, payloadBytes: 0)
        context.writeAndFlush(wrapOutboundOut(ack), promise: nil)
    }

    /// Hands a request to the server; its reply goes back on this connection from whatever
    /// thread the server answers on.
    private func serveRequest(_ frame: PeerFrame, from sender: UInt64, context: ChannelHandlerContext) throws {
        let request = try PeerRequestFrame(frame.payload)
        let channel = context.channel
        let limit = configuration.maxMessageBytes
        let reply = ReplyOnce { reply in
            var reply = reply
            if case let .success(bytes) = reply, PeerFrame.requestHeaderBytes + bytes.count > limit {
                reply = .failure("response of \(bytes.count) bytes exceeds the \(limit)-byte message limit")
            }
            var buffer = channel.allocator.buffer(capacity: PeerFrame.headerBytes + PeerFrame.requestHeaderBytes)
            buffer.writeResponseFrame(id: request.id, reply: reply)
            channel.writeAndFlush(buffer, promise: nil)
        }
        environment.handler.receivedRequest(kind: request.kind, payload: request.payload, from: sender) { reply($0) }
    }

    private func remoteDescription(_ context: ChannelHandlerContext) -> String {
        switch phase {
        case let .messages(sender), let .snapshot(sender):
            return dialler(sender, context)
        case .awaitingHello, .anonymous, .finished:
            return dialler(nil, context)
        }
    }

    /// "member 2 (127.0.0.1:5000)", or just the address while the member is unknown.
    private func dialler(_ sender: UInt64?, _ context: ChannelHandlerContext) -> String {
        let address = addressText(context.channel.remoteAddress)
        return sender.map { "member \(memberHex($0)) (\(address))" } ?? address
    }
}
