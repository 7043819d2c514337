import Dispatch
import GRPCTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// Test double for the HTTP side; answers from another thread, as the etcd layer may.
final class ClosureHTTPHandler: HTTP1Handler, Sendable {
    private let body: @Sendable (HTTP1Request) -> HTTP1Response

    init(_ body: @escaping @Sendable (HTTP1Request) -> HTTP1Response) {
        self.body = body
    }

    func handle(_ request: HTTP1Request, respond: @escaping (HTTP1Response) -> Void) {
        let response = body(request)
        nonisolated(unsafe) let respond = respond
        DispatchQueue.global().async { respond(response) }
    }
}

/// gRPC and HTTP/1.1 through a real listening socket on 127.0.0.1.
final class ClientPortServerTests: XCTestCase {
    private var serverGroup: MultiThreadedEventLoopGroup!
    private var clientGroup: MultiThreadedEventLoopGroup!
    private var servers: [ClientPortServer] = []

    override func setUp() {
        serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        for server in servers {
            _ = try? waitBounded(server.shutdown(gracePeriod: .milliseconds(100)))
        }
        servers = []
        try? clientGroup.syncShutdownGracefully()
        try? serverGroup.syncShutdownGracefully()
    }

    private func startServer(
        grpc: GRPCCallHandler = ClosureCallHandler.echo(),
        http: HTTP1Handler = ClosureHTTPHandler { _ in HTTP1Response(status: 404) },
        configuration: ClientPortConfiguration = ClientPortConfiguration(host: "127.0.0.1", port: 0)
    ) throws -> (ClientPortServer, SocketAddress) {
        let server = ClientPortServer(
            configuration: configuration,
            group: serverGroup, grpc: grpc, http: http, logger: Logger(label: "test")
        )
        servers.append(server)
        return (server, try waitBounded(server.start()))
    }

    private func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    // MARK: HTTP/1.1

    func testHTTP1RequestReachesTheHTTPHandler() throws {
        let seen = EventRecorder()
        let (_, address) = try startServer(http: ClosureHTTPHandler { request in
            seen.record("\(request.method) \(request.path) \(request.query ?? "-") \(request.headerValue("host") ?? "-")")
            return HTTP1Response(status: 200, headers: [("content-type", "application/json")], body: bytes("{\"health\":\"true\"}"))
        })
        let reply = try waitBounded(RawTCPClient.exchange(
            bytes("GET /health?serializable=true HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"),
            with: address, group: clientGroup
        ))
        XCTAssertEqual(seen.all, ["GET /health serializable=true example"])
        let response = text(reply)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
        XCTAssertTrue(response.lowercased().contains("content-length: 17\r\n"), response)
        XCTAssertTrue(response.lowercased().contains("connection: close\r\n"), response)
        XCTAssertTrue(response.hasSuffix("\r\n\r\n{\"health\":\"true\"}"), response)
    }

    func testHTTP1KeepAliveServesSeveralRequestsThenHonoursConnectionClose() throws {
        let (_, address) = try startServer(http: ClosureHTTPHandler { request in
            HTTP1Response(status: 200, body: bytes("\(request.method) \(request.path) [\(String(decoding: request.body, as: UTF8.self))]"))
        })
        let requests = "POST /v3/kv/range HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n{\"key\":\"a\"}"
            + "GET /version HTTP/1.1\r\nHost: a\r\n\r\n"
            + "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let response = text(try waitBounded(RawTCPClient.exchange(bytes(requests), with: address, group: clientGroup)))
        XCTAssertEqual(response.components(separatedBy: "HTTP/1.1 200 OK").count - 1, 3, response)
        let first = try XCTUnwrap(response.range(of: "POST /v3/kv/range [{\"key\":\"a\"}]"))
        let second = try XCTUnwrap(response.range(of: "GET /version []"))
        let third = try XCTUnwrap(response.range(of: "GET /metrics []"))
        XCTAssertTrue(first.upperBound <= second.lowerBound && second.upperBound <= third.lowerBound, "answered in order")
        XCTAssertTrue(response.hasSuffix("GET /metrics []"), "the server closed after the last response")
    }

    func testHTTP1ExpectContinueGetsAnInterimResponse() throws {
        let (_, address) = try startServer(http: ClosureHTTPHandler { request in
            HTTP1Response(status: 200, body: request.body)
        })
        let request = "POST /v3/kv/put HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        let response = text(try waitBounded(RawTCPClient.exchange(bytes(request), with: address, group: clientGroup)))
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), response)
        XCTAssertTrue(response.hasSuffix("\r\n\r\n{}"), response)
    }

    func testHTTP1BodyOverTheLimitGets413AndClose() throws {
        let seen = EventRecorder()
        let (_, address) = try startServer(
            http: ClosureHTTPHandler { request in
                seen.record(request.path)
                return HTTP1Response(status: 200)
            },
            configuration: ClientPortConfiguration(host: "127.0.0.1", port: 0, maxHTTP1BodyBytes: 10)
        )
        let chunked = "POST /v3/kv/put HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        let declared = "POST /v3/kv/put HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n12345678901"
        for request in [chunked, declared] {
            let response = text(try waitBounded(RawTCPClient.exchange(bytes(request), with: address, group: clientGroup)))
            XCTAssertTrue(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), response)
            XCTAssertTrue(response.lowercased().contains("connection: close\r\n"), response)
        }
        XCTAssertEqual(seen.all, [])
    }

    func testMalformedHTTP1RequestGets400AndClose() throws {
        let (_, address) = try startServer()
        let response = text(try waitBounded(RawTCPClient.exchange(
            bytes("GET / HTTP/1.1\r\nHost: a\r\nBad Header Line\r\n\r\n"), with: address, group: clientGroup
        )))
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400 Bad Request"), response)
    }

    // MARK: gRPC over HTTP/2

    func testGRPCCallOverTCPAnsweredFromAnotherThread() throws {
        // A serial queue, like a service's apply loop: the send is issued before the finish.
        let worker = DispatchQueue(label: "test.worker")
        let (_, address) = try startServer(grpc: ClosureCallHandler { call in
            call.onMessage = { message in
                worker.async { call.send(message + bytes("!")) }
            }
            call.onHalfClose = {
                worker.async { call.finish(GRPCStatus(code: 0, message: "")) }
            }
        })
        let client = try SocketH2Client.connect(to: address, group: clientGroup, splitPrefaceAfter: 10)
        defer { client.close() }
        let response = try waitBounded(client.call(path: "/etcdserverpb.KV/Put", messages: [bytes("put")]))
        XCTAssertEqual(response.header(":status"), "200")
        XCTAssertEqual(response.messages, [bytes("put!")])
        XCTAssertEqual(response.grpcStatus, 0)
    }

    func testManyCallsAnsweredFromAnotherThreadKeepEachCallsOrder() throws {
        // Answers from another thread reach the event loop in batches; every call must still
        // get its messages in order, then its status.
        let worker = DispatchQueue(label: "test.worker")
        let (_, address) = try startServer(grpc: ClosureCallHandler { call in
            call.onMessage = { message in
                worker.async {
                    call.send(message + bytes(" 1"))
                    call.send(message + bytes(" 2"))
                    call.finish(with: message + bytes(" 3"), status: GRPCStatus(code: 0, message: String(decoding: message, as: UTF8.self)))
                }
            }
        })
        let client = try SocketH2Client.connect(to: address, group: clientGroup)
        defer { client.close() }
        let calls = (0 ..< 40).map { index in
            client.call(path: "/etcdserverpb.KV/Put", messages: [bytes("m\(index)")])
        }
        for (index, call) in calls.enumerated() {
            let response = try waitBounded(call)
            XCTAssertEqual(response.messages, [bytes("m\(index) 1"), bytes("m\(index) 2"), bytes("m\(index) 3")])
            XCTAssertEqual(response.grpcStatus, 0)
            XCTAssertEqual(response.grpcMessage, "m\(index)")
        }
    }

    func testFiftyConcurrentStreamsOnEachOfSeveralConnections() throws {
        // Even streams answer on the event loop, odd ones from another thread in one hop.
        let (_, address) = try startServer(grpc: ClosureCallHandler { call in
            var received: [[UInt8]] = []
            call.onMessage = { received.append($0) }
            call.onHalfClose = {
                guard received.count == 2 else { return call.finish(GRPCStatus(code: 3, message: "want 2 messages")) }
                if received[0].count % 2 == 0 {
                    call.send(received[0])
                    call.finish(with: received[1])
                } else {
                    let answer = received
                    DispatchQueue.global().async {
                        call.send(answer[0])  // a hop...
                        call.finish(with: answer[1], status: .ok)  // ...and one more, in order
                    }
                }
            }
        })
        let clients = try (0 ..< 4).map { _ in try SocketH2Client.connect(to: address, group: clientGroup) }
        defer { clients.forEach { $0.close() } }
        var calls: [(expected: [UInt8], response: EventLoopFuture<H2Response>)] = []
        for (clientIndex, client) in clients.enumerated() {
            for stream in 0 ..< 50 {
                let message = [UInt8](repeating: UInt8(clientIndex), count: stream * 100 + stream % 2)
                calls.append((message, client.call(path: "/test/Echo", messages: [message, message])))
            }
        }
        for call in calls {
            let response = try waitBounded(call.response)
            XCTAssertEqual(response.grpcStatus, 0)
            XCTAssertTrue(response.messages == [call.expected, call.expected])
        }
    }

    func testTenMegabyteResponseOverTCP() throws {
        let payload = (0 ..< 10 * 1024 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (_, address) = try startServer(grpc: ClosureCallHandler { call in
            call.onHalfClose = {
                call.send(payload)
                call.finish(.ok)
            }
        })
        let client = try SocketH2Client.connect(to: address, group: clientGroup)
        defer { client.close() }
        let response = try waitBounded(client.call(path: "/etcdserverpb.Maintenance/Snapshot", messages: []), timeout: .seconds(30))
        XCTAssertEqual(response.grpcStatus, 0)
        XCTAssertTrue(response.messages?.first == payload)
    }

    func testMalformedHTTP2EndsOnlyThatConnection() throws {
        let (_, address) = try startServer()
        let healthy = try SocketH2Client.connect(to: address, group: clientGroup)
        defer { healthy.close() }
        XCTAssertEqual(try waitBounded(healthy.call(path: "/test/Echo", messages: [bytes("before")])).grpcStatus, 0)

        let garbage: [UInt8] = ProtocolPreface.bytes + [0, 0, 4, 0x8, 0, 0, 0, 0, 0] + bytes("junk junk junk")
        let reply = try waitBounded(RawTCPClient.exchange(garbage, with: address, group: clientGroup))
        XCTAssertTrue(GRPCServerConnectionTests.frameTypes(in: reply).contains(0x7), "GOAWAY before the close")

        let after = try waitBounded(healthy.call(path: "/test/Echo", messages: [bytes("after")]))
        XCTAssertEqual(after.messages, [bytes("after")])
    }

    // MARK: Shutdown

    func testShutdownSendsGoAwayAndLetsOpenCallsFinish() throws {
        let held = NIOLockedValueBox<GRPCServerCall?>(nil)
        let arrived = serverGroup.next().makePromise(of: Void.self)
        let (server, address) = try startServer(grpc: ClosureCallHandler { call in
            held.withLockedValue { $0 = call }
            arrived.succeed()
        })
        let client = try SocketH2Client.connect(to: address, group: clientGroup)
        defer { client.close() }
        let response = client.call(path: "/test/Held", messages: [bytes("x")])
        try waitBounded(arrived.futureResult)

        let stopped = server.shutdown(gracePeriod: .seconds(30))
        XCTAssertEqual(try waitBounded(client.goAway), 1, "GOAWAY names the open stream as the last one")
        held.withLockedValue { $0 }?.finish(GRPCStatus(code: 0, message: "finished during shutdown"))
        XCTAssertEqual(try waitBounded(response).grpcMessage, "finished during shutdown")
        try waitBounded(stopped)
        try waitBounded(client.channel.closeFuture)
    }

    func testShutdownGracePeriodCancelsCallsThatNeverFinish() throws {
        let cancelled = serverGroup.next().makePromise(of: Void.self)
        let arrived = serverGroup.next().makePromise(of: Void.self)
        let (server, address) = try startServer(grpc: ClosureCallHandler { call in
            call.onCancel = { cancelled.succeed() }
            arrived.succeed()
        })
        let client = try SocketH2Client.connect(to: address, group: clientGroup)
        defer { client.close() }
        let response = client.call(path: "/test/Forever", messages: [])
        try waitBounded(arrived.futureResult)
        try waitBounded(server.shutdown(gracePeriod: .milliseconds(50)))
        try waitBounded(cancelled.futureResult)
        XCTAssertThrowsError(try waitBounded(response))
    }

    func testShutdownClosesKeepAliveHTTP1AfterItsResponseAndRefusesNewConnections() throws {
        let arrived = serverGroup.next().makePromise(of: Void.self)
        let (server, address) = try startServer(http: ClosureHTTPHandler { _ in
            arrived.succeed()
            return HTTP1Response(status: 200, body: bytes("ok"))
        })
        let exchange = RawTCPClient.exchange(bytes("GET /health HTTP/1.1\r\nHost: a\r\n\r\n"), with: address, group: clientGroup)
        try waitBounded(arrived.futureResult)
        try waitBounded(server.shutdown(gracePeriod: .seconds(30)))
        let response = text(try waitBounded(exchange))
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"), response)
        XCTAssertTrue(response.hasSuffix("ok"), response)
        XCTAssertThrowsError(try SocketH2Client.connect(to: address, group: clientGroup))
    }
}

enum ProtocolPreface {
    static let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
