@testable import GRPCTransport
import Logging
import NIOCore

struct PumpDidNotSettle: Error {}

/// A server `GRPCServerConnection` and an `H2TestClient` joined in memory. Both must be used on
/// `eventLoop` (the server connection's confinement rule), so tests go through `run`; that
/// is why this may be `@unchecked Sendable`.
final class InMemoryConnection: @unchecked Sendable {
    let eventLoop: EventLoop
    let server: GRPCServerConnection
    let client: H2TestClient

    init(
        eventLoop: EventLoop, handler: GRPCCallHandler,
        maxReceiveMessageBytes: Int = 1 << 20, clientWindowBytes: UInt32? = nil
    ) throws {
        self.eventLoop = eventLoop
        let configuration = ClientPortConfiguration(
            host: "127.0.0.1", port: 0, maxReceiveMessageBytes: maxReceiveMessageBytes
        )
        server = try GRPCServerConnection(
            configuration: configuration.grpcConnection, eventLoop: eventLoop,
            handler: handler, logger: Logger(label: "test")
        )
        client = H2TestClient(initialWindowBytes: clientWindowBytes)
    }

    /// Runs `body` on the event loop and waits for it.
    func run<T: Sendable>(_ body: @escaping @Sendable (InMemoryConnection) throws -> T) throws -> T {
        try eventLoop.submit { try body(self) }.wait()
    }

    /// Moves bytes both ways until neither side has anything to send. The client's bytes
    /// reach the server in pieces of at most `clientChunkBytes`.
    func pump(clientChunkBytes: Int = .max) throws {
        for _ in 0 ..< 100_000 {
            let toServer = try client.takeOutput()
            var start = 0
            while start < toServer.count {
                let end = toServer.count - start > clientChunkBytes ? start + clientChunkBytes : toServer.count
                try server.receive(ByteBuffer(bytes: toServer[start ..< end]))
                start = end
            }
            var toClient = ByteBuffer()
            try server.drainOutput(into: &toClient, limit: .max)
            if toClient.readableBytes > 0 {
                try client.receive(Array(toClient.readableBytesView))
            }
            if toServer.isEmpty && toClient.readableBytes == 0 {
                return
            }
        }
        throw PumpDidNotSettle()
    }
}
