import NIOCore

/// First handler of every accepted connection: decides from the first bytes whether the
/// client speaks HTTP/2 with prior knowledge (it starts with the connection preface) or
/// HTTP/1.x, installs the matching handlers, replays the bytes and removes itself.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum DetectedProtocol {
        case http2
        case http1
    }

    static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let installHandlers: (DetectedProtocol, ChannelPipeline.SynchronousOperations) throws -> Void
    private var received: ByteBuffer?

    /// `installHandlers` adds the handlers for the detected protocol at the end of the pipeline.
    init(installHandlers: @escaping (DetectedProtocol, ChannelPipeline.SynchronousOperations) throws -> Void) {
        self.installHandlers = installHandlers
    }

    /// `.http2` once all 24 preface bytes matched, `.http1` at the first byte that differs,
    /// nil while the bytes so far are a prefix of the preface.
    static func detect(_ bytes: ByteBuffer) -> DetectedProtocol? {
        let count = min(bytes.readableBytes, http2Preface.count)
        let matches = bytes.withUnsafeReadableBytes { received in
            zip(received.prefix(count), http2Preface).allSatisfy { $0 == $1 }
        }
        if !matches {
            return .http1
        }
        return count == http2Preface.count ? .http2 : nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = received {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        guard let detected = Self.detect(bytes) else {
            received = bytes
            return
        }
        received = nil
        do {
            try installHandlers(detected, context.pipeline.syncOperations)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdownEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
