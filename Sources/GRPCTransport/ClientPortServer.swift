import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

public struct ClientPortConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `ClientPortServer.start` reports the one bound.
    public var port: Int
    /// Largest request message accepted; etcd uses max-request-bytes + 512 KiB.
    public var maxReceiveMessageBytes: Int
    /// SETTINGS_MAX_CONCURRENT_STREAMS announced to every HTTP/2 client.
    public var maxConcurrentStreams: UInt32
    /// HTTP/2 receive window per stream, and for the whole connection. Received data is
    /// consumed at once, so these only decide how much a client may send per round trip.
    public var initialStreamWindowBytes: Int
    public var connectionWindowBytes: Int
    /// Largest HTTP/1.x request body accepted (larger ones get 413 and a close).
    public var maxHTTP1BodyBytes: Int

    public init(
        host: String,
        port: Int,
        maxReceiveMessageBytes: Int = 2 * 1024 * 1024,
        maxConcurrentStreams: UInt32 = .max,
        initialStreamWindowBytes: Int = 4 * 1024 * 1024,
        connectionWindowBytes: Int = 16 * 1024 * 1024,
        maxHTTP1BodyBytes: Int = 4 * 1024 * 1024
    ) {
        self.host = host
        self.port = port
        self.maxReceiveMessageBytes = maxReceiveMessageBytes
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialStreamWindowBytes = initialStreamWindowBytes
        self.connectionWindowBytes = connectionWindowBytes
        self.maxHTTP1BodyBytes = maxHTTP1BodyBytes
    }

    var grpcConnection: GRPCServerConnection.Configuration {
        // HTTP/2 windows are at most 2^31 - 1.
        let maxWindow = Int(Int32.max)
        return GRPCServerConnection.Configuration(
            maxReceiveMessageBytes: maxReceiveMessageBytes,
            session: HTTP2ServerSession.Settings(
                maxConcurrentStreams: maxConcurrentStreams,
                initialStreamWindowBytes: Int32(min(max(initialStreamWindowBytes, 65_535), maxWindow)),
                connectionWindowBytes: Int32(min(max(connectionWindowBytes, 65_535), maxWindow))
            )
        )
    }
}

/// One listening socket serving gRPC (HTTP/2 with prior knowledge) and HTTP/1.x, told apart
/// by each connection's first bytes.
///
/// Connections run on the event loop the group assigns them; the only shared state is the
/// set of open connections (touched on accept, close and shutdown), kept under a lock.
public final class ClientPortServer: Sendable {
    private struct State {
        var listener: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        var isShuttingDown = false
    }

    private let configuration: ClientPortConfiguration
    private let group: EventLoopGroup
    private let grpc: GRPCCallHandler
    private let http: HTTP1Handler
    private let logger: Logger
    private let connectionClosed: @Sendable () -> Void
    private let state = NIOLockedValueBox(State())

    /// `connectionClosed` is called (on the connection's event loop) after each client
    /// connection has closed.
    public init(
        configuration: ClientPortConfiguration, group: EventLoopGroup,
        grpc: GRPCCallHandler, http: HTTP1Handler, logger: Logger,
        connectionClosed: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.group = group
        self.grpc = grpc
        self.http = http
        self.logger = logger
        self.connectionClosed = connectionClosed
    }

    /// Binds and starts accepting; succeeds with the bound address (useful with port 0).
    public func start() -> EventLoopFuture<SocketAddress> {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Reaps connections whose peer vanished without a FIN (there are no server pings).
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                self.initializeConnection(channel)
            }
            .bind(host: configuration.host, port: configuration.port)
            .flatMapThrowing { listener in
                self.state.withLockedValue { $0.listener = listener }
                guard let address = listener.localAddress else {
                    throw ChannelError.unknownLocalAddress
                }
                self.logger.debug("client port listening", metadata: ["address": "\(address)"])
                return address
            }
    }

    /// Stops accepting, asks every connection to finish (GOAWAY on HTTP/2, close after the
    /// current response on HTTP/1.x) and force-closes what is still open after `gracePeriod`.
    /// Succeeds when every connection is closed.
    public func shutdown(gracePeriod: TimeAmount) -> EventLoopFuture<Void> {
        let (listener, connections) = state.withLockedValue { state in
            state.isShuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        let eventLoop = group.any()
        let listenerClosed = listener?.close() ?? eventLoop.makeSucceededVoidFuture()
        let event = GracefulShutdownEvent(gracePeriod: gracePeriod)
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(event)
        }
        let closed = connections.map { $0.closeFuture } + [listenerClosed.recover { _ in }]
        return EventLoopFuture.andAllComplete(closed, on: eventLoop)
    }

    private func initializeConnection(_ channel: Channel) -> EventLoopFuture<Void> {
        let id = ObjectIdentifier(channel)
        let accepted = state.withLockedValue { state in
            guard !state.isShuttingDown else { return false }
            state.connections[id] = channel
            return true
        }
        guard accepted else {
            return channel.close()
        }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: id) }
            self.connectionClosed()
        }
        let grpcConfiguration = configuration.grpcConnection
        let maxHTTP1BodyBytes = configuration.maxHTTP1BodyBytes
        let (grpc, http, logger) = (self.grpc, self.http, self.logger)
        return channel.eventLoop.makeCompletedFuture {
            let sniffer = ProtocolSniffer { detected, pipeline in
                switch detected {
                case .http2:
                    try pipeline.addHandler(HTTP2ConnectionHandler(
                        configuration: grpcConfiguration, callHandler: grpc, logger: logger
                    ))
                case .http1:
                    try HTTP1Pipeline.install(on: pipeline, handler: http, maxBodyBytes: maxHTTP1BodyBytes)
                }
            }
            try channel.pipeline.syncOperations.addHandler(sniffer)
        }
    }
}
