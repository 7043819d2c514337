import Logging
import NIOCore

/// What the owner of a dialled connection hears once the handshake is accepted. Both run on
/// the connection's event loop; a frame the owner throws on closes the connection.
struct PeerClientEvents: Sendable {
    var frame: @Sendable (PeerFrame) throws -> Void
    var becameWritable: @Sendable () -> Void = {}
}

/// Dialler end of a peer connection: sends the hello once connected, completes `accepted` with
/// the receiver's answer (or the failure), then hands every later frame to `events`.
final class PeerClientHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    typealias OutboundOut = ByteBuffer

    private let hello: PeerHello
    private let accepted: EventLoopPromise<Void>
    private let handshakeTimeout: TimeAmount
    private let events: PeerClientEvents
    private let logger: Logger
    private var isAccepted = false
    private var handshakeTimer: Scheduled<Void>?

    init(hello: PeerHello, accepted: EventLoopPromise<Void>, handshakeTimeout: TimeAmount,
         events: PeerClientEvents, logger: Logger) {
        self.hello = hello
        self.accepted = accepted
        self.handshakeTimeout = handshakeTimeout
        self.events = events
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: PeerHello.preambleBytes + PeerHello.bodyBytes)
        buffer.writePeerHello(hello)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        let (accepted, channel) = (self.accepted, context.channel)
        handshakeTimer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            accepted.fail(PeerTransportError.timedOut)
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if isAccepted {
            do {
                try events.frame(frame)
            } catch {
                errorCaught(context: context, error: error)
            }
            return
        }
        handshakeTimer?.cancel()
        switch frame.type {
        case .accepted:
            isAccepted = true
            accepted.succeed()
        case .rejected:
            accepted.fail(PeerTransportError.rejected(String(buffer: frame.payload)))
            context.close(promise: nil)
        default:
            accepted.fail(PeerProtocolError.unexpected(frame.type))
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            events.becameWritable()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        accepted.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never became active still has to settle the promise.
        accepted.fail(ChannelError.ioOnClosedChannel)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Before acceptance the dialler reports the failure; after it, say why we hang up.
        if isAccepted {
            let level: Logger.Level = error is PeerProtocolError ? .warning : .debug
            logger.log(level: level, "closing peer connection to \(addressText(context.channel.remoteAddress)): \(error)")
        }
        accepted.fail(error)
        context.close(promise: nil)
    }
}
