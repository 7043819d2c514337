import Logging
import NIOCore

/// A one-shot request to a URL, on a connection of its own, from a dialler that need not know
/// its own member ID or the cluster ID (a member that is joining asks for the membership).
enum AnonymousRequest {
    private static let requestID: UInt64 = 1
    /// No configuration exists yet on this path; the message-channel default applies.
    private static let maxFrameBytes = PeerTransportConfiguration(localID: 0, clusterID: 0).maxMessageBytes

    static func send(
        url: String, kind: UInt8, payload: [UInt8], clusterID: UInt64, timeout: TimeAmount,
        group: EventLoopGroup, logger: Logger
    ) -> EventLoopFuture<[UInt8]> {
        let eventLoop = group.next()
        let peerURL: PeerURL
        do {
            peerURL = try PeerURL(parsing: url)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let frameBytes = PeerFrame.requestHeaderBytes + payload.count
        guard frameBytes <= maxFrameBytes else {
            return eventLoop.makeFailedFuture(PeerTransportError.frameTooLarge(frameBytes))
        }
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(PeerTransportError.timedOut)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }

        let hello = PeerHello(kind: .anonymousRequest, clusterID: clusterID, senderID: 0, receiverID: 0)
        let options = PeerConnector.Options(connectTimeout: timeout, maxPayloadBytes: maxFrameBytes, logger: logger)
        let events = PeerClientEvents(frame: { frame in
            guard frame.type == .response else { throw PeerProtocolError.unexpected(frame.type) }
            let response = try PeerResponseFrame(frame.payload)
            guard response.id == requestID else { throw PeerProtocolError.malformed("response") }
            promise.completeWith(response.result.mapError { $0 })
        })
        PeerConnector.connect(to: peerURL, hello: hello, on: eventLoop, options: options, events: events)
            .whenComplete { result in
                switch result {
                case let .success(channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    channel.closeFuture.whenComplete { _ in promise.fail(PeerTransportError.unreachable(0)) }
                    var buffer = channel.allocator.buffer(capacity: PeerFrame.headerBytes + frameBytes)
                    buffer.writeRequestFrame(id: requestID, kind: kind, payload: payload)
                    channel.writeAndFlush(buffer, promise: nil)
                case let .failure(error):
                    if isRejection(error) {
                        promise.fail(error)
                    } else {
                        logger.debug("peer request to \(peerURL) failed: \(error)")
                        promise.fail(PeerTransportError.unreachable(0))
                    }
                }
            }
        return promise.futureResult
    }
}
