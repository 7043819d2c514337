import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Sends one snapshot on a connection of its own, so that it never delays the message channel:
/// the total size, then chunks with a few writes in flight, then waits for the receiver's ack.
final class SnapshotUpload: Sendable {
    private struct State {
        var channel: Channel?
        var timer: Scheduled<Void>?
        var nextOffset = 0
        var writesInFlight = 0
        var isFinished = false
    }

    private let bytes: [UInt8]
    private let peerID: UInt64
    private let eventLoop: EventLoop
    private let logger: Logger
    private let completion: @Sendable (Bool) -> Void
    private let state = NIOLockedValueBox(State())

    /// `completion` runs once, on `eventLoop`.
    init(bytes: [UInt8], peerID: UInt64, eventLoop: EventLoop, logger: Logger,
         completion: @escaping @Sendable (Bool) -> Void) {
        self.bytes = bytes
        self.peerID = peerID
        self.eventLoop = eventLoop
        self.logger = logger
        self.completion = completion
    }

    func start(urls: [PeerURL], configuration: PeerTransportConfiguration) {
        let timeout = configuration.snapshotTimeout(forBytes: bytes.count)
        let timer = eventLoop.scheduleTask(in: timeout) {
            self.finish(.failed("no acknowledgment within \(timeout)"))
        }
        state.withLockedValue { $0.timer = timer }
        let hello = PeerHello(
            kind: .snapshot, clusterID: configuration.clusterID,
            senderID: configuration.localID, receiverID: peerID
        )
        // The receiver only ever sends an ack or a refusal with its reason.
        let options = PeerConnector.Options(
            connectTimeout: configuration.connectTimeout, maxPayloadBytes: 64 << 10, logger: logger
        )
        let events = PeerClientEvents(frame: { frame in
            switch frame.type {
            case .snapshotAck:
                self.finish(.acknowledged)
            case .rejected:
                self.finish(.failed("refused: \(String(buffer: frame.payload))"))
            default:
                throw PeerProtocolError.unexpected(frame.type)
            }
        })
        PeerConnector.connect(to: urls, startingAt: 0, hello: hello, on: eventLoop, options: options, events: events)
            .whenComplete { result in
                switch result {
                case let .success((channel, _)):
                    self.connected(channel)
                case let .failure(PeerTransportError.rejected(reason)):
                    self.finish(.failed("refused: \(reason)"))
                case let .failure(error):
                    self.finish(.failed("\(error)"))
                }
            }
    }

    /// Gives up (the transport is shutting down).
    func cancel() {
        finish(.failed("the peer transport shut down"))
    }

    private func connected(_ channel: Channel) {
        let proceed = state.withLockedValue { state in
            guard !state.isFinished else { return false }
            state.channel = channel
            return true
        }
        guard proceed else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in
            self.finish(.failed("connection closed before the snapshot was acknowledged"))
        }
        var begin = channel.allocator.buffer(capacity: PeerFrame.headerBytes + 8)
        begin.writePeerFrameHeader(.snapshotBegin, payloadBytes: 8)
        begin.writeInteger(UInt64(bytes.count))
        channel.writeAndFlush(begin, promise: nil)
        writeChunks(on: channel)
    }

    /// Keeps `SnapshotFraming.window` chunk writes in flight; each completed write makes room
    /// for the next, so at most a few MiB of the snapshot are copied into buffers at a time.
    private func writeChunks(on channel: Channel) {
        while let range = nextChunk() {
            var buffer = channel.allocator.buffer(capacity: PeerFrame.headerBytes + range.count)
            buffer.writePeerFrame(.snapshotChunk, payload: bytes[range])
            channel.writeAndFlush(buffer).whenComplete { result in
                self.state.withLockedValue { $0.writesInFlight -= 1 }
                if case .success = result {
                    // Through the loop rather than nested in this write's completion.
                    self.eventLoop.execute { self.writeChunks(on: channel) }
                }
            }
        }
    }

    private func nextChunk() -> Range<Int>? {
        state.withLockedValue { state in
            guard !state.isFinished, state.writesInFlight < SnapshotFraming.window,
                  state.nextOffset < bytes.count else { return nil }
            let range = state.nextOffset ..< min(state.nextOffset + SnapshotFraming.chunkBytes, bytes.count)
            state.nextOffset = range.upperBound
            state.writesInFlight += 1
            return range
        }
    }

    private enum Outcome {
        case acknowledged
        case failed(String)
    }

    /// The first call wins.
    private func finish(_ outcome: Outcome) {
        let taken = state.withLockedValue { state -> (Channel?, Scheduled<Void>?)? in
            guard !state.isFinished else { return nil }
            state.isFinished = true
            return (state.channel, state.timer)
        }
        guard let (channel, timer) = taken else { return }
        timer?.cancel()
        channel?.close(promise: nil)
        let ok: Bool
        switch outcome {
        case .acknowledged:
            ok = true
            logger.info("sent a snapshot of \(bytes.count) bytes to peer \(memberHex(peerID))")
        case let .failed(reason):
            ok = false
            logger.warning("failed to send a snapshot of \(bytes.count) bytes to peer \(memberHex(peerID)): \(reason)")
        }
        let completion = self.completion
        eventLoop.execute { completion(ok) }
    }
}
