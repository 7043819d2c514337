import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The message channel to one peer: a persistent outbound connection (dialled again with
/// backoff whenever it fails or drops), the frames queued for it, its pings, and the requests
/// sent on it.
///
/// State lives under one lock and I/O happens outside it. Connection events arrive on
/// `eventLoop`, which runs the connection; `send` and `request` may come from any thread.
final class OutboundPeerLink: Sendable {
    private enum QueuedFrame {
        case message([UInt8])
        case request(id: UInt64, kind: UInt8, payload: [UInt8])

        var encodedBytes: Int {
            switch self {
            case let .message(bytes):
                return PeerFrame.headerBytes + bytes.count
            case let .request(_, _, payload):
                return PeerFrame.headerBytes + PeerFrame.requestHeaderBytes + payload.count
            }
        }

        func write(into buffer: inout ByteBuffer) {
            switch self {
            case let .message(bytes):
                buffer.writePeerFrame(.message, payload: bytes)
            case let .request(id, kind, payload):
                buffer.writeRequestFrame(id: id, kind: kind, payload: payload)
            }
        }
    }

    private struct State {
        var urls: [PeerURL]
        /// Where the next dial starts: the URL that worked last.
        var preferredURL = 0
        var connection: Channel?
        var connectedURL: PeerURL?
        var isDialling = false
        var redial: Scheduled<Void>?
        var backoff: TimeAmount
        var queue = CircularBuffer<QueuedFrame>()
        var flushScheduled = false
        /// Why the peer cannot be reached, once that was reported; cleared by a handshake.
        var outage: PeerTransportError?
        /// Overflow is reported once, then again only after the queue emptied.
        var overflowReported = false
        var lastLoggedFailure: String?
        var requests = PendingPeerRequests()
        var pinger: RepeatedTask?
        var lastHeard = NIODeadline.now()
        /// Set when the peer was removed or the transport shut down.
        var closedWith: PeerTransportError?
    }

    let peerID: UInt64
    let eventLoop: EventLoop
    private let configuration: PeerTransportConfiguration
    private let handler: PeerTransportHandler
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    init(peerID: UInt64, urls: [PeerURL], configuration: PeerTransportConfiguration, eventLoop: EventLoop,
         handler: PeerTransportHandler, logger: Logger) {
        self.peerID = peerID
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.state = NIOLockedValueBox(State(urls: urls, backoff: configuration.reconnectBackoffMin))
    }

    var isConnected: Bool {
        state.withLockedValue { $0.connection != nil }
    }

    var urls: [PeerURL] {
        state.withLockedValue { $0.urls }
    }

    func start() {
        eventLoop.execute { self.dial() }
    }

    /// Takes new URLs for the peer; a connection to a URL no longer listed is dropped and redialled.
    func updateURLs(_ urls: [PeerURL]) {
        let stale: Channel? = state.withLockedValue { state in
            guard state.urls != urls else { return nil }
            state.urls = urls
            state.preferredURL = 0
            guard let connected = state.connectedURL, !urls.contains(connected) else { return nil }
            return state.connection
        }
        stale?.close(promise: nil)
    }

    func send(_ bytes: [UInt8]) {
        guard bytes.count <= configuration.maxMessageBytes else {
            logger.warning("dropping a message of \(bytes.count) bytes to member \(memberHex(peerID)): larger than the \(configuration.maxMessageBytes)-byte limit")
            notifyUnreachable()
            return
        }
        _ = enqueue(.message(bytes))
    }

    func request(kind: UInt8, payload: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let frameBytes = PeerFrame.requestHeaderBytes + payload.count
        guard frameBytes <= configuration.maxMessageBytes else {
            return eventLoop.makeFailedFuture(PeerTransportError.frameTooLarge(frameBytes))
        }
        let promise = eventLoop.makePromise(of: [UInt8].self)
        // Fail fast while the peer is known to be down rather than wait out the timeout.
        let known = state.withLockedValue { $0.closedWith ?? $0.outage }
        if let known {
            promise.fail(known)
            return promise.futureResult
        }
        let id = state.withLockedValue { $0.requests.add(promise) }
        guard enqueue(.request(id: id, kind: kind, payload: payload)) else {
            state.withLockedValue { _ = $0.requests.remove(id) }
            promise.fail(PeerTransportError.unreachable(peerID))
            return promise.futureResult
        }
        let timer = eventLoop.scheduleTask(in: timeout) {
            // A request its caller gave up on must not reach the peer later.
            self.state.withLockedValue { state in
                state.queue.removeAll { if case .request(id, _, _) = $0 { return true } else { return false } }
            }
            self.finishRequest(id, .failure(.timedOut))
        }
        if !state.withLockedValue({ $0.requests.setTimer(timer, for: id) }) {
            timer.cancel()
        }
        return promise.futureResult
    }

    /// Stops dialling, closes the connection, drops the queue and fails open requests with `error`.
    func close(failingWith error: PeerTransportError) -> EventLoopFuture<Void> {
        let (connection, redial, pinger, requests) = state.withLockedValue { state in
            state.closedWith = error
            state.queue.removeAll()
            defer {
                state.connection = nil
                state.connectedURL = nil
                state.redial = nil
                state.pinger = nil
            }
            return (state.connection, state.redial, state.pinger, state.requests.removeAll())
        }
        redial?.cancel()
        pinger?.cancel()
        for request in requests {
            request.complete(.failure(error))
        }
        guard let connection else {
            return eventLoop.makeSucceededVoidFuture()
        }
        connection.close(promise: nil)
        return connection.closeFuture
    }

    // MARK: - Queue

    /// False when the frame was dropped (link closed or queue full).
    private func enqueue(_ frame: QueuedFrame) -> Bool {
        enum Outcome { case queued(flush: Bool), dropped(firstOverflow: Bool) }
        let outcome: Outcome = state.withLockedValue { state in
            guard state.closedWith == nil else { return .dropped(firstOverflow: false) }
            // While the peer is known to be down its messages are dropped, not kept: Raft resends
            // what matters, and a proposal delivered long after its client gave up would be
            // applied as if it had just been made.
            if state.outage != nil, case .message = frame { return .dropped(firstOverflow: false) }
            guard state.queue.count < configuration.maxQueuedMessages else {
                defer { state.overflowReported = true }
                return .dropped(firstOverflow: !state.overflowReported)
            }
            state.queue.append(frame)
            let flush = state.connection != nil && !state.flushScheduled
            state.flushScheduled = state.flushScheduled || flush
            return .queued(flush: flush)
        }
        switch outcome {
        case .queued(let flush):
            if flush {
                eventLoop.execute { self.flush() }
            }
            return true
        case .dropped(let firstOverflow):
            if firstOverflow {
                logger.warning("queue for member \(memberHex(peerID)) is full (\(configuration.maxQueuedMessages) messages); dropping messages until it drains")
                notifyUnreachable()
            }
            return false
        }
    }

    /// Writes what is queued, in order, as one buffer per batch, while the connection takes more.
    /// A connection that stops taking more calls this again once it drains.
    private func flush() {
        let batch: (channel: Channel, frames: [QueuedFrame], bytes: Int, more: Bool)? = state.withLockedValue { state in
            state.flushScheduled = false
            guard let channel = state.connection, channel.isWritable, !state.queue.isEmpty else { return nil }
            var frames: [QueuedFrame] = []
            var bytes = 0
            while let next = state.queue.first,
                  frames.isEmpty || bytes + next.encodedBytes <= PeerChannelTuning.maxBatchBytes {
                state.queue.removeFirst()
                bytes += next.encodedBytes
                frames.append(next)
            }
            if state.queue.isEmpty {
                state.overflowReported = false
            }
            state.flushScheduled = !state.queue.isEmpty
            return (channel, frames, bytes, state.flushScheduled)
        }
        guard let batch else { return }
        var buffer = batch.channel.allocator.buffer(capacity: batch.bytes)
        for frame in batch.frames {
            frame.write(into: &buffer)
        }
        batch.channel.writeAndFlush(buffer, promise: nil)
        if batch.more {
            eventLoop.execute { self.flush() }
        }
    }

    // MARK: - Connection

    private func dial() {
        let attempt: (urls: [PeerURL], start: Int)? = state.withLockedValue { state in
            guard state.closedWith == nil, state.connection == nil, !state.isDialling else { return nil }
            state.isDialling = true
            state.redial = nil
            return (state.urls, state.preferredURL)
        }
        guard let (urls, start) = attempt else { return }
        let hello = PeerHello(
            kind: .messages, clusterID: configuration.clusterID,
            senderID: configuration.localID, receiverID: peerID
        )
        let options = PeerConnector.Options(
            connectTimeout: configuration.connectTimeout,
            maxPayloadBytes: configuration.maxMessageBytes, logger: logger
        )
        let events = PeerClientEvents(
            frame: { try self.received($0) },
            becameWritable: { self.flush() }
        )
        PeerConnector.connect(to: urls, startingAt: start, hello: hello, on: eventLoop, options: options, events: events)
            .whenComplete { result in
                switch result {
                case let .success((channel, urlIndex)):
                    self.connected(channel, url: urls[urlIndex])
                case let .failure(error):
                    self.dialFailed(error, triedURLs: !urls.isEmpty)
                }
            }
    }

    private func connected(_ channel: Channel, url: PeerURL) {
        let isCurrent = state.withLockedValue { state in
            state.isDialling = false
            guard state.closedWith == nil, let index = state.urls.firstIndex(of: url) else { return false }
            state.connection = channel
            state.connectedURL = url
            state.preferredURL = index
            state.backoff = configuration.reconnectBackoffMin
            state.outage = nil
            state.lastLoggedFailure = nil
            state.lastHeard = .now()
            state.flushScheduled = true
            return true
        }
        guard isCurrent else {
            channel.close(promise: nil)
            // URLs changed while dialling: dial the new ones.
            eventLoop.execute { self.dial() }
            return
        }
        let interval = configuration.pingInterval
        let pinger = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.ping(channel)
        }
        state.withLockedValue { $0.pinger = pinger }
        channel.closeFuture.whenComplete { _ in self.connectionClosed(channel) }
        logger.info("connected to peer \(memberHex(peerID)) at \(url)")
        flush()
    }

    private func connectionClosed(_ channel: Channel) {
        let lost: [PendingPeerRequests.Entry]? = state.withLockedValue { state in
            guard state.connection === channel else { return nil }
            state.pinger?.cancel()
            state.pinger = nil
            state.connection = nil
            state.connectedURL = nil
            state.outage = .unreachable(peerID)
            state.redial = eventLoop.scheduleTask(in: state.backoff) { self.dial() }
            // What was queued for the lost connection is stale by the time it is back (see `enqueue`):
            // messages are dropped, and requests fail now rather than reach the peer late.
            state.queue.removeAll()
            return state.requests.removeAll()
        }
        guard let lost else { return }
        for request in lost {
            request.complete(.failure(.unreachable(peerID)))
        }
        logger.info("lost connection to peer \(memberHex(peerID))")
        handler.peerUnreachable(peerID)
    }

    private func dialFailed(_ error: Error, triedURLs: Bool) {
        let failure: PeerTransportError
        let line: String
        if case let PeerTransportError.rejected(reason) = error {
            failure = .rejected(reason)
            line = "peer \(memberHex(peerID)) refused the connection: \(reason)"
        } else {
            failure = .unreachable(peerID)
            line = triedURLs
                ? "cannot connect to peer \(memberHex(peerID)) at \(error)"
                : "cannot connect to peer \(memberHex(peerID)): it has no usable peer URL"
        }
        let outcome = state.withLockedValue { state -> (newOutage: Bool, logLine: Bool, waiting: [PendingPeerRequests.Entry])? in
            state.isDialling = false
            guard state.closedWith == nil else { return nil }
            let newOutage = state.outage == nil
            state.outage = failure
            let logLine = state.lastLoggedFailure != line
            state.lastLoggedFailure = line
            state.redial = eventLoop.scheduleTask(in: state.backoff) { self.dial() }
            state.backoff = min(state.backoff + state.backoff, configuration.reconnectBackoffMax)
            state.queue.removeAll()
            return (newOutage, logLine, state.requests.removeAll())
        }
        guard let outcome else { return }
        for request in outcome.waiting {
            request.complete(.failure(failure))
        }
        if outcome.logLine {
            logger.warning("\(line)")
        }
        if outcome.newOutage {
            handler.peerUnreachable(peerID)
        }
    }

    // MARK: - Frames

    private func ping(_ channel: Channel) {
        let now = NIODeadline.now()
        let heard = state.withLockedValue { $0.lastHeard }
        if now - heard > configuration.unresponsiveTimeout {
            logger.warning("peer \(memberHex(peerID)) has not answered for \(configuration.unresponsiveTimeout); reconnecting")
            channel.close(promise: nil)
            return
        }
        var buffer = channel.allocator.buffer(capacity: PeerFrame.headerBytes + 8)
        buffer.writePeerFrameHeader(.ping, payloadBytes: 8)
        buffer.writeInteger(now.uptimeNanoseconds)
        channel.writeAndFlush(buffer, promise: nil)
    }

    private func received(_ frame: PeerFrame) throws {
        state.withLockedValue { $0.lastHeard = .now() }
        switch frame.type {
        case .pong:
            guard let sent = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt64.self) else {
                throw PeerProtocolError.malformed("pong")
            }
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= sent {
                handler.measuredRoundTrip(to: peerID, seconds: Double(now - sent) / 1e9)
            }
        case .response:
            let response = try PeerResponseFrame(frame.payload)
            finishRequest(response.id, response.result)
        default:
            throw PeerProtocolError.unexpected(frame.type)
        }
    }

    private func finishRequest(_ id: UInt64, _ result: Result<[UInt8], PeerTransportError>) {
        state.withLockedValue { $0.requests.remove(id) }?.complete(result)
    }

    private func notifyUnreachable() {
        let (handler, peerID) = (self.handler, self.peerID)
        eventLoop.execute { handler.peerUnreachable(peerID) }
    }
}
