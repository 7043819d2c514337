import Logging
import NIOCore
import NIOPosix

/// Dials peers: TCP connect, hello, wait for the receiver's answer. Every outbound connection
/// (message, snapshot, anonymous request) is made here, so this is where a TLS client handler
/// would be added in front of the decoder once https peer URLs are supported.
enum PeerConnector {
    struct Options: Sendable {
        var connectTimeout: TimeAmount
        /// Largest frame the receiver may send back.
        var maxPayloadBytes: Int
        var logger: Logger
    }

    /// Tries `urls` in turn from `startIndex` (wrapping) until one accepts; stops early on a
    /// rejection, which would be the same at every URL of the member. Fails with the last error.
    static func connect(
        to urls: [PeerURL], startingAt startIndex: Int, hello: PeerHello, on eventLoop: EventLoop,
        options: Options, events: PeerClientEvents
    ) -> EventLoopFuture<(channel: Channel, urlIndex: Int)> {
        guard !urls.isEmpty else {
            return eventLoop.makeFailedFuture(PeerTransportError.unreachable(hello.receiverID))
        }
        func attempt(_ step: Int) -> EventLoopFuture<(channel: Channel, urlIndex: Int)> {
            let index = (startIndex + step) % urls.count
            return connect(to: urls[index], hello: hello, on: eventLoop, options: options, events: events)
                .map { (channel: $0, urlIndex: index) }
                .flatMapError { error in
                    if step + 1 < urls.count, !isRejection(error) {
                        return attempt(step + 1)
                    }
                    return eventLoop.makeFailedFuture(error)
                }
        }
        return attempt(0)
    }

    /// One URL. Succeeds with the channel once the receiver accepted the hello; fails with
    /// `PeerTransportError.rejected(reason)` or a `PeerDialFailure`.
    static func connect(
        to url: PeerURL, hello: PeerHello, on eventLoop: EventLoop, options: Options, events: PeerClientEvents
    ) -> EventLoopFuture<Channel> {
        let accepted = eventLoop.makePromise(of: Void.self)
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(options.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: PeerChannelTuning.writeBufferWaterMark)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(PeerFrameDecoder(maxPayloadBytes: options.maxPayloadBytes)))
                    try sync.addHandler(PeerClientHandler(
                        hello: hello, accepted: accepted, handshakeTimeout: options.connectTimeout,
                        events: events, logger: options.logger
                    ))
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMapError { error in
                accepted.fail(error)
                return eventLoop.makeFailedFuture(error)
            }
            .flatMap { channel in
                accepted.futureResult.map { channel }
            }
            .flatMapErrorThrowing { error in
                if isRejection(error) {
                    throw error
                }
                throw PeerDialFailure(url: url, error: error)
            }
    }
}

/// A dial that got no answer: nothing listening, no route, no hello answer in time.
struct PeerDialFailure: Error, CustomStringConvertible {
    var url: PeerURL
    var reason: String

    init(url: PeerURL, error: Error) {
        self.url = url
        if case PeerTransportError.timedOut = error {
            self.reason = "no answer to the hello in time"
        } else {
            self.reason = dialFailureText(error)
        }
    }

    var description: String { "\(url): \(reason)" }
}

func isRejection(_ error: Error) -> Bool {
    if case PeerTransportError.rejected = error {
        return true
    }
    return false
}

enum PeerChannelTuning {
    /// Pending bytes at which a connection stops taking more (its queue fills instead) and
    /// resumes. Batches are up to `maxBatchBytes`, so a few fit in flight.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 1 << 20, high: 4 << 20)
    static let maxBatchBytes = 1 << 20
}
