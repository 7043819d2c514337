import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A listener that plays the receiving member just far enough for the sender's tests: it accepts
/// any hello (at once, or only once `answerHellos()` is called), records the number (see
/// `numbered`) of every message that reaches it, answers pings, and can leave what arrives
/// unread (until `resumeReading()`) so that whatever is sent to it backs up in the sender.
final class ControlledPeer: Sendable {
    private let listener: Channel
    private let core: ControlledPeerCore

    var port: Int { listener.localAddress?.port ?? 0 }
    var url: String { "http://127.0.0.1:\(port)" }
    /// Hellos received so far.
    var hellos: Int { core.hellos }
    /// Numbers of the messages received, in arrival order.
    var messages: [Int] { core.messages }

    /// `answersHellos` false: hellos wait for `answerHellos()`. `reads` false: an accepted
    /// connection is not read from until `resumeReading()`.
    init(group: EventLoopGroup, answersHellos: Bool = true, reads: Bool = true) throws {
        let core = ControlledPeerCore(answering: answersHellos, reading: reads)
        self.core = core
        self.listener = try waitBounded(ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                core.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(ControlledPeerDecoder()))
                    try sync.addHandler(ControlledPeerHandler(core: core))
                }
            }
            .bind(host: "127.0.0.1", port: 0))
    }

    /// Accepts the hellos waiting for an answer, and from now on every new one at once.
    func answerHellos() {
        core.answerHellos()
    }

    /// Reads the connections it has, and every later one.
    func resumeReading() {
        core.resumeReading()
    }

    /// Hangs up on every connection (the listener stays), leaving what was not read unread.
    func closeConnections() {
        core.closeConnections()
    }

    func close() throws {
        core.closeConnections()
        try waitBounded(listener.close())
    }
}

private final class ControlledPeerCore: Sendable {
    private struct State {
        var answering: Bool
        var reading: Bool
        var hellos = 0
        var unanswered: [Channel] = []
        var connections: [Channel] = []
        var messages: [Int] = []
    }

    private let state: NIOLockedValueBox<State>

    init(answering: Bool, reading: Bool) {
        state = NIOLockedValueBox(State(answering: answering, reading: reading))
    }

    var hellos: Int { state.withLockedValue { $0.hellos } }
    var messages: [Int] { state.withLockedValue { $0.messages } }

    func add(_ channel: Channel) {
        state.withLockedValue { $0.connections.append(channel) }
    }

    func helloArrived(on channel: Channel) {
        let answerNow = state.withLockedValue { state in
            state.hellos += 1
            if !state.answering {
                state.unanswered.append(channel)
            }
            return state.answering
        }
        if answerNow {
            answer(channel)
        }
    }

    func answerHellos() {
        let waiting = state.withLockedValue { state in
            state.answering = true
            defer { state.unanswered = [] }
            return state.unanswered
        }
        waiting.forEach(answer)
    }

    func resumeReading() {
        let connections = state.withLockedValue { state in
            state.reading = true
            return state.connections
        }
        for channel in connections {
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    func record(_ number: Int) {
        state.withLockedValue { $0.messages.append(number) }
    }

    func closeConnections() {
        for channel in state.withLockedValue({ $0.connections }) {
            channel.close(promise: nil)
        }
    }

    private func answer(_ channel: Channel) {
        channel.eventLoop.execute {
            if !self.state.withLockedValue({ $0.reading }) {
                // Stop before the dialler, told it is accepted, starts sending.
                channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
            // An `accepted` frame: empty payload, type 1.
            var buffer = channel.allocator.buffer(capacity: 5)
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt8(1))
            channel.writeAndFlush(buffer, promise: nil)
        }
    }
}

private enum ControlledPeerInput {
    case hello
    case frame(type: UInt8, payload: ByteBuffer)
}

/// The hello (8-byte preamble whose last two bytes give the length of the rest), then frames:
/// 4-byte payload length, 1-byte type, payload.
private struct ControlledPeerDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlledPeerInput

    private var sawHello = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let start = buffer.readerIndex
        if !sawHello {
            guard let rest = buffer.getInteger(at: start + 6, as: UInt16.self),
                  buffer.readableBytes >= 8 + Int(rest) else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: 8 + Int(rest))
            sawHello = true
            context.fireChannelRead(wrapInboundOut(.hello))
            return .continue
        }
        guard let length = buffer.getInteger(at: start, as: UInt32.self),
              let type = buffer.getInteger(at: start + 4, as: UInt8.self),
              buffer.readableBytes >= 5 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 5)
        let payload = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(.frame(type: type, payload: payload)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        .needMoreData
    }
}

private final class ControlledPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ControlledPeerInput
    typealias OutboundOut = ByteBuffer

    private let core: ControlledPeerCore

    init(core: ControlledPeerCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .hello:
            core.helloArrived(on: context.channel)
        case let .frame(type: 3, payload):
            // A message: its first four bytes are its number.
            if let number = payload.getInteger(at: payload.readerIndex, as: UInt32.self) {
                core.record(Int(number))
            }
        case var .frame(type: 4, payload):
            // A ping: answer with a pong carrying the same token.
            var pong = context.channel.allocator.buffer(capacity: 5 + payload.readableBytes)
            pong.writeInteger(UInt32(payload.readableBytes))
            pong.writeInteger(UInt8(5))
            pong.writeBuffer(&payload)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .frame:
            break
        }
    }
}
