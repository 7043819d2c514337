import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The peer port of a member: carries opaque raft messages, snapshots and requests between the
/// members of one cluster (docs/peer-protocol.md). It knows nothing of Raft.
///
/// Outbound: one `OutboundPeerLink` per peer (the message channel), plus a connection per snapshot.
/// Inbound: whatever other members dial, checked against the cluster ID, our member ID and the
/// current peers. Shared state (links, listeners, uploads) is under one lock; each connection
/// runs on its own event loop.
public final class PeerTransport: Sendable {
    private struct State {
        var links: [UInt64: OutboundPeerLink] = [:]
        var listeners: [Channel] = []
        var uploads: [UInt64: SnapshotUpload] = [:]
        var lastUploadID: UInt64 = 0
        var isShutDown = false
    }

    private let configuration: PeerTransportConfiguration
    private let group: EventLoopGroup
    private let logger: Logger
    private let handler: PeerTransportHandler
    private let inbound = InboundConnections()
    private let rejections = RepeatedLineFilter()
    private let state = NIOLockedValueBox(State())

    public init(configuration: PeerTransportConfiguration, group: EventLoopGroup, logger: Logger,
                handler: PeerTransportHandler) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.handler = handler
    }

    /// Starts accepting peers; returns the bound address. May be called once per listen URL.
    public func listen(host: String, port: Int) -> EventLoopFuture<SocketAddress> {
        let environment = InboundEnvironment(
            configuration: configuration, handler: handler, logger: logger,
            connections: inbound, rejections: rejections,
            isCurrentPeer: { [weak self] id in self?.isCurrentPeer(id) ?? false }
        )
        let connections = inbound
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Reaps connections from members that vanished without a FIN.
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: PeerChannelTuning.writeBufferWaterMark)
            .childChannelInitializer { channel in
                guard connections.add(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    // A TLS server handler for https listen URLs would go first, here.
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(
                        PeerServerDecoder(maxMessageBytes: environment.configuration.maxMessageBytes)
                    ))
                    try sync.addHandler(InboundPeerHandler(environment: environment))
                }
            }
            .bind(host: host, port: port)
            .flatMapThrowing { listener in
                let kept = self.state.withLockedValue { state in
                    guard !state.isShutDown else { return false }
                    state.listeners.append(listener)
                    return true
                }
                guard kept else {
                    listener.close(promise: nil)
                    throw PeerTransportError.shutDown
                }
                guard let address = listener.localAddress else {
                    throw ChannelError.unknownLocalAddress
                }
                self.logger.info("listening for peers on \(address)")
                return address
            }
    }

    /// The current peers (excluding ourselves): member ID → peer URLs ("http://host:port").
    /// Connections to peers no longer listed are closed; inbound traffic from IDs not listed is dropped
    /// (a removed member must not disturb the cluster). Called whenever membership is applied.
    public func setPeers(_ peers: [UInt64: [String]]) {
        var parsed: [UInt64: [PeerURL]] = [:]
        for (id, texts) in peers where id != configuration.localID {
            parsed[id] = texts.compactMap { text in
                do {
                    return try PeerURL(parsing: text)
                } catch {
                    logger.warning("ignoring a peer URL of member \(memberHex(id)): \(error)")
                    return nil
                }
            }
        }
        let (added, removed, kept) = state.withLockedValue { state in
            var added: [OutboundPeerLink] = []
            var kept: [(OutboundPeerLink, [PeerURL])] = []
            guard !state.isShutDown else { return (added, [OutboundPeerLink](), kept) }
            for (id, urls) in parsed {
                if let link = state.links[id] {
                    kept.append((link, urls))
                } else {
                    let link = OutboundPeerLink(
                        peerID: id, urls: urls, configuration: configuration, eventLoop: group.next(),
                        handler: handler, logger: logger
                    )
                    state.links[id] = link
                    added.append(link)
                }
            }
            let removedIDs = state.links.keys.filter { parsed[$0] == nil }
            return (added, removedIDs.compactMap { state.links.removeValue(forKey: $0) }, kept)
        }
        for link in removed {
            logger.info("peer \(memberHex(link.peerID)) is no longer a member; closing its connections")
            _ = link.close(failingWith: .unknownPeer(link.peerID))
        }
        inbound.closeAll(except: Set(parsed.keys))
        for (link, urls) in kept {
            link.updateURLs(urls)
        }
        for link in added {
            link.start()
        }
    }

    /// Queues a message for `peer`, in order; never blocks. Unknown peer → handler.peerUnreachable.
    public func send(_ bytes: [UInt8], to peer: UInt64) {
        let (link, isShutDown) = state.withLockedValue { ($0.links[peer], $0.isShutDown) }
        if let link {
            link.send(bytes)
        } else if !isShutDown {
            // Never call the handler from inside `send`: the caller may hold its own lock.
            let handler = self.handler
            group.any().execute { handler.peerUnreachable(peer) }
        }
    }

    /// Sends a (possibly huge) snapshot on a separate connection so it never delays heartbeats;
    /// `completion(true)` once the receiver acknowledged it, false on any failure (called once,
    /// on an event loop). The time allowed grows with the size: `snapshotTimeoutBase` plus a
    /// second per `snapshotMinimumBytesPerSecond` bytes.
    public func sendSnapshot(_ bytes: [UInt8], to peer: UInt64, completion: @escaping @Sendable (Bool) -> Void) {
        let eventLoop = group.next()
        guard let link = state.withLockedValue({ $0.isShutDown ? nil : $0.links[peer] }) else {
            logger.warning("cannot send a snapshot to member \(memberHex(peer)): not a current peer")
            eventLoop.execute { completion(false) }
            return
        }
        let uploadID = state.withLockedValue { state in
            state.lastUploadID += 1
            return state.lastUploadID
        }
        let upload = SnapshotUpload(bytes: bytes, peerID: peer, eventLoop: eventLoop, logger: logger) { ok in
            self.state.withLockedValue { _ = $0.uploads.removeValue(forKey: uploadID) }
            completion(ok)
        }
        let registered = state.withLockedValue { state in
            guard !state.isShutDown else { return false }
            state.uploads[uploadID] = upload
            return true
        }
        guard registered else {
            upload.cancel()
            return
        }
        upload.start(urls: link.urls, configuration: configuration)
    }

    /// A request/response to a current peer (e.g. lease keep-alive forwarded to the leader),
    /// multiplexed on the message connection. Fails with `.unknownPeer`, `.unreachable` (at once
    /// while the peer is known to be down, or when the connection drops before the answer),
    /// `.rejected`, `.timedOut`, `.remote`, `.frameTooLarge` or `.shutDown`.
    public func request(to peer: UInt64, kind: UInt8, payload: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let (link, isShutDown) = state.withLockedValue { ($0.links[peer], $0.isShutDown) }
        guard let link else {
            let error: PeerTransportError = isShutDown ? .shutDown : .unknownPeer(peer)
            return group.any().makeFailedFuture(error)
        }
        return link.request(kind: kind, payload: payload, timeout: timeout)
    }

    /// A one-shot request to a URL without knowing its member ID (a joining member asking an existing
    /// member for the membership); clusterID 0 = not known yet. The receiver hears it with `from` 0.
    /// Fails with `.invalidURL`, `.unreachable(0)`, `.rejected`, `.timedOut`, `.remote` or `.frameTooLarge`.
    public static func request(url: String, kind: UInt8, payload: [UInt8], clusterID: UInt64, timeout: TimeAmount,
                               group: EventLoopGroup) -> EventLoopFuture<[UInt8]> {
        AnonymousRequest.send(
            url: url, kind: kind, payload: payload, clusterID: clusterID, timeout: timeout,
            group: group, logger: Logger(label: "swift-etcd.peer-transport")
        )
    }

    /// Whether a message connection to `peer` is currently established (for metrics/status).
    public func isConnected(to peer: UInt64) -> Bool {
        state.withLockedValue { $0.links[peer] }?.isConnected ?? false
    }

    /// Asynchronous: closes listeners and connections; pending requests fail with `.shutDown` and
    /// snapshots in flight complete with false. Succeeds once the sockets are closed. Later calls
    /// are harmless, and later `send`s are dropped without a callback.
    public func shutdown() -> EventLoopFuture<Void> {
        let (links, listeners, uploads) = state.withLockedValue { state in
            state.isShutDown = true
            defer {
                state.links = [:]
                state.listeners = []
                state.uploads = [:]
            }
            return (Array(state.links.values), state.listeners, Array(state.uploads.values))
        }
        var closing = listeners.map { listener in
            listener.close(promise: nil)
            return listener.closeFuture
        }
        closing += links.map { $0.close(failingWith: .shutDown) }
        for upload in uploads {
            upload.cancel()
        }
        closing += inbound.closeAll()
        return EventLoopFuture.andAllComplete(closing, on: group.any())
    }

    private func isCurrentPeer(_ id: UInt64) -> Bool {
        state.withLockedValue { $0.links[id] != nil }
    }
}
