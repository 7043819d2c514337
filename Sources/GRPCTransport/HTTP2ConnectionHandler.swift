import Logging
import NIOCore

/// Sent through a connection's pipeline when the server shuts down.
struct GracefulShutdownEvent: Sendable {
    var gracePeriod: TimeAmount
}

/// The I/O side of one HTTP/2 connection: feeds received bytes to a `GRPCServerConnection`
/// and writes what it produces. Output is drained once per read batch (channelReadComplete)
/// or once per event-loop turn for answers produced outside a read, so many frames leave in
/// one socket write.
final class HTTP2ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Upper bound for one socket write, so a burst of responses can't grow one buffer without
    /// limit and writability is re-checked between writes.
    private static let maxWriteBytes = 256 * 1024
    /// The output buffer is kept for the next drain unless a burst grew it beyond this.
    private static let maxRetainedBufferBytes = 64 * 1024

    private let configuration: GRPCServerConnection.Configuration
    private let callHandler: GRPCCallHandler
    private let logger: Logger
    private var connection: GRPCServerConnection?
    private var context: ChannelHandlerContext?
    private var isInReadBatch = false
    private var isDrainScheduled = false
    private var isClosing = false
    private var gracePeriodTimer: Scheduled<Void>?
    /// Reused from drain to drain: once the socket write completes, the channel drops its
    /// reference and `clear()` recycles the storage instead of allocating a new buffer.
    private var outputBuffer: ByteBuffer?

    init(configuration: GRPCServerConnection.Configuration, callHandler: GRPCCallHandler, logger: Logger) {
        self.configuration = configuration
        self.callHandler = callHandler
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            let connection = try GRPCServerConnection(
                configuration: configuration, eventLoop: context.eventLoop,
                handler: callHandler, logger: logger
            )
            connection.onOutputPending = { [unowned self] in self.scheduleDrain() }
            self.connection = connection
            drainOutput()  // our SETTINGS
        } catch {
            logger.error("cannot create HTTP/2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endConnection()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection, !isClosing else { return }
        isInReadBatch = true
        do {
            try connection.receive(unwrapInboundIn(data))
        } catch {
            logger.debug("dropping HTTP/2 connection", metadata: ["error": "\(error)"])
            closeAfterPendingWrites()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isInReadBatch = false
        drainOutput()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            drainOutput()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endConnection()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let shutdown = event as? GracefulShutdownEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard gracePeriodTimer == nil, let connection else { return }
        gracePeriodTimer = context.eventLoop.assumeIsolated().scheduleTask(in: shutdown.gracePeriod) {
            context.close(promise: nil)
        }
        connection.beginGracefulShutdown()
        drainOutput()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Coalesces answers produced outside a read batch into one drain per event-loop turn.
    private func scheduleDrain() {
        guard !isInReadBatch, !isDrainScheduled, let context else { return }
        isDrainScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.isDrainScheduled = false
            self.drainOutput()
        }
    }

    /// Writes everything the session has to send while the socket accepts it; unsent
    /// response bytes stay queued per stream (see `GRPCServerCall.bufferedOutboundBytes`)
    /// until `channelWritabilityChanged` calls again.
    private func drainOutput() {
        guard let context, let connection, !isClosing else { return }
        var wrote = false
        while context.channel.isWritable && connection.hasPendingOutput {
            var buffer: ByteBuffer
            if var reused = outputBuffer.take() {
                reused.clear()
                buffer = reused
            } else {
                buffer = context.channel.allocator.buffer(capacity: 16 * 1024)
            }
            do {
                try connection.drainOutput(into: &buffer, limit: Self.maxWriteBytes)
            } catch {
                logger.debug("HTTP/2 session failed", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
            guard buffer.readableBytes > 0 else {
                outputBuffer = buffer
                break
            }
            context.write(wrapOutboundOut(buffer), promise: nil)
            if buffer.capacity <= Self.maxRetainedBufferBytes {
                outputBuffer = buffer
            }
            wrote = true
        }
        if wrote {
            context.flush()
        }
        if connection.isFinished {
            closeAfterPendingWrites()
        }
    }

    /// Closes once already queued bytes (typically a GOAWAY) reached the socket.
    private func closeAfterPendingWrites() {
        guard let context, !isClosing else { return }
        isClosing = true
        var lastFrames = context.channel.allocator.buffer(capacity: 0)
        try? connection?.drainOutput(into: &lastFrames, limit: Self.maxWriteBytes)
        context.writeAndFlush(wrapOutboundOut(lastFrames)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func endConnection() {
        outputBuffer = nil
        gracePeriodTimer?.cancel()
        gracePeriodTimer = nil
        let connection = self.connection
        self.connection = nil
        connection?.onOutputPending = nil
        connection?.connectionClosed()
    }
}
