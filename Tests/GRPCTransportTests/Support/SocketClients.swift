import GRPCTransport
import NIOCore
import NIOPosix

struct ConnectionClosedEarly: Error {}

/// An HTTP/2 client over a real TCP connection: an `H2TestClient` driven by a NIO channel.
/// The handler lives on the channel's event loop and every entry point hops there first,
/// which is why this may be `@unchecked Sendable`.
final class SocketH2Client: @unchecked Sendable {
    let channel: Channel
    private let handler: H2ClientChannelHandler

    private init(channel: Channel, handler: H2ClientChannelHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects; with `splitPrefaceAfter` the first bytes go out alone and the rest a moment
    /// later, so the server is likely to see the preface in two reads.
    static func connect(
        to address: SocketAddress, group: EventLoopGroup, splitPrefaceAfter: Int? = nil
    ) throws -> SocketH2Client {
        let handler = H2ClientChannelHandler(splitPrefaceAfter: splitPrefaceAfter)
        let channel = try ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(to: address)
            .wait()
        return SocketH2Client(channel: channel, handler: handler)
    }

    /// Sends `messages` on a new stream, half-closes, and succeeds when the stream closes.
    func call(path: String, messages: [[UInt8]], metadata: [(String, String)] = []) -> EventLoopFuture<H2Response> {
        channel.eventLoop.flatSubmit {
            self.handler.call(path: path, messages: messages, metadata: metadata)
        }
    }

    /// Succeeds with the last-stream-id of the first GOAWAY received.
    var goAway: EventLoopFuture<Int32> { handler.goAway.futureResult }

    func close() {
        channel.close(promise: nil)
    }
}

private final class H2ClientChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client = H2TestClient()
    private var splitPrefaceAfter: Int?
    private var heldOutput: [UInt8]?
    private var context: ChannelHandlerContext?
    private var pending: [Int32: EventLoopPromise<H2Response>] = [:]
    private(set) var goAway: EventLoopPromise<Int32>!

    init(splitPrefaceAfter: Int?) {
        self.splitPrefaceAfter = splitPrefaceAfter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        goAway = context.eventLoop.makePromise()
        client.onStreamClosed = { [unowned self] streamID, response in
            self.pending.removeValue(forKey: streamID)?.succeed(response)
        }
        client.onGoAway = { [unowned self] in
            self.goAway.succeed(self.client.goAwayLastStreamID ?? -1)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        writeOutput()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try client.receive(Array(unwrapInboundIn(data).readableBytesView))
        } catch {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        writeOutput()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let pending = self.pending
        self.pending = [:]
        for promise in pending.values {
            promise.fail(ConnectionClosedEarly())
        }
        goAway.fail(ConnectionClosedEarly())
        context.fireChannelInactive()
    }

    func call(path: String, messages: [[UInt8]], metadata: [(String, String)]) -> EventLoopFuture<H2Response> {
        let promise = context!.eventLoop.makePromise(of: H2Response.self)
        let stream = client.startCall(path: path, metadata: metadata)
        pending[stream] = promise
        for message in messages {
            client.send(message, on: stream)
        }
        client.halfClose(stream)
        writeOutput()
        return promise.futureResult
    }

    private func writeOutput() {
        guard let context, var output = try? client.takeOutput(), !output.isEmpty else { return }
        if heldOutput != nil {
            heldOutput! += output
            return
        }
        if let split = splitPrefaceAfter, split < output.count {
            // Send the first bytes alone and hold everything else back for a moment.
            splitPrefaceAfter = nil
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output.prefix(split))), promise: nil)
            output.removeFirst(split)
            heldOutput = output
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(20)) {
                let held = self.heldOutput ?? []
                self.heldOutput = nil
                context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: held)), promise: nil)
                self.writeOutput()
            }
            return
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output)), promise: nil)
    }
}

/// Writes raw bytes and collects everything the server sends until it closes the connection.
enum RawTCPClient {
    static func exchange(_ request: [UInt8], with address: SocketAddress, group: EventLoopGroup) -> EventLoopFuture<[UInt8]> {
        let promise = group.next().makePromise(of: [UInt8].self)
        ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CollectingHandler(promise: promise))
                }
            }
            .connect(to: address)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.writeAndFlush(channel.allocator.buffer(bytes: request), promise: nil)
                case .failure(let error):
                    promise.fail(error)
                }
            }
        return promise.futureResult
    }

    private final class CollectingHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let promise: EventLoopPromise<[UInt8]>
        private var received: [UInt8] = []

        init(promise: EventLoopPromise<[UInt8]>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += unwrapInboundIn(data).readableBytesView
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(received)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            // A reset after the server's final bytes still counts as the end of the exchange.
            context.close(promise: nil)
        }
    }
}
