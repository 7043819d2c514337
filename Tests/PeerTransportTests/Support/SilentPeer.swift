import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A listener that accepts any hello and then never sends another byte: a peer whose process
/// hangs, or whose machine vanished without closing the socket.
final class SilentPeer: Sendable {
    private let listener: Channel
    private let accepted: NIOLockedValueBox<Int>

    var port: Int { listener.localAddress?.port ?? 0 }
    /// Connections accepted so far.
    var connections: Int { accepted.withLockedValue { $0 } }

    init(group: EventLoopGroup) throws {
        let accepted = NIOLockedValueBox(0)
        self.accepted = accepted
        self.listener = try waitBounded(ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptThenSilence())
                }
            }
            .bind(host: "127.0.0.1", port: 0))
    }

    func close() throws {
        try waitBounded(listener.close())
    }
}

private final class AcceptThenSilence: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        // An `accepted` frame: empty payload, type 1.
        var buffer = context.channel.allocator.buffer(capacity: 5)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt8(1))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
