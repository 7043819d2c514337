import NIOCore

/// Dialler side: every inbound byte is frames.
struct PeerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = PeerFrame

    let maxPayloadBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try PeerFrame.read(from: &buffer, maxPayloadBytes: maxPayloadBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut off by the close is dropped.
        .needMoreData
    }
}

/// What the accepting side reads: one greeting, then frames.
enum PeerServerInput: Sendable {
    case greeting(PeerGreeting)
    case frame(PeerFrame)
}

/// Accepting side: the greeting first, then frames bounded by the limit of the channel kind
/// the greeting announced.
struct PeerServerDecoder: ByteToMessageDecoder {
    typealias InboundOut = PeerServerInput

    /// Largest frame payload on a message or anonymous-request channel.
    let maxMessageBytes: Int
    /// Frame limit once the greeting is read; nil before.
    private var maxPayloadBytes: Int?

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let maxPayloadBytes {
            guard let frame = try PeerFrame.read(from: &buffer, maxPayloadBytes: maxPayloadBytes) else {
                return .needMoreData
            }
            context.fireChannelRead(wrapInboundOut(.frame(frame)))
            return .continue
        }
        guard let greeting = try PeerGreeting.read(from: &buffer) else {
            return .needMoreData
        }
        switch greeting {
        case .hello(let hello) where hello.kind == .snapshot:
            maxPayloadBytes = SnapshotFraming.maxChunkBytes
        case .hello:
            maxPayloadBytes = maxMessageBytes
        case .unsupported:
            // The connection is refused and closed; nothing more is read.
            maxPayloadBytes = 0
        }
        context.fireChannelRead(wrapInboundOut(.greeting(greeting)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        .needMoreData
    }
}

/// How a snapshot is cut into frames: chunks keep memory bounded on both ends and stay under
/// the 4-byte frame length however large the snapshot is.
enum SnapshotFraming {
    static let chunkBytes = 1 << 20
    /// Largest chunk a receiver accepts (room for a sender that picks larger chunks).
    static let maxChunkBytes = 4 << 20
    /// Chunk writes a sender keeps in flight.
    static let window = 4
}
