import Foundation
@testable import GRPCTransport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// The sans-I/O gRPC server connection driven by an nghttp2 client session in memory.
final class GRPCServerConnectionTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var eventLoop: EventLoop { group.next() }

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
        group = nil
    }

    private func makeConnection(
        _ handler: GRPCCallHandler, maxReceiveMessageBytes: Int = 1 << 20, clientWindowBytes: UInt32? = nil
    ) throws -> InMemoryConnection {
        try InMemoryConnection(
            eventLoop: eventLoop, handler: handler,
            maxReceiveMessageBytes: maxReceiveMessageBytes, clientWindowBytes: clientWindowBytes
        )
    }

    func testUnaryEchoCarriesPathMetadataAndStatus() throws {
        let seen = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            seen.record("\(call.path) token=\(call.metadataValue("token") ?? "-") deadline=\(call.deadline != nil)")
            XCTAssertFalse(call.metadata.contains { $0.name.hasPrefix(":") })
            call.onMessage = { call.send($0) }
            call.onHalfClose = { call.finish(.ok) }
            call.onFinish = { seen.record("finish \($0.code)") }
        })
        let response = try connection.run { connection in
            let stream = connection.client.startCall(path: "/etcdserverpb.KV/Range", metadata: [("token", "abc")])
            connection.client.send(bytes("hello"), on: stream)
            connection.client.halfClose(stream)
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertEqual(seen.all, ["/etcdserverpb.KV/Range token=abc deadline=false", "finish 0"])
        XCTAssertEqual(response.header(":status"), "200")
        XCTAssertEqual(response.header("content-type"), "application/grpc")
        XCTAssertFalse(response.isTrailersOnly)
        XCTAssertEqual(response.messages, [bytes("hello")])
        XCTAssertEqual(response.trailer("grpc-status"), "0")
        XCTAssertEqual(response.trailer("grpc-message"), "")
        XCTAssertTrue(response.isClosed)
        XCTAssertEqual(response.closeErrorCode, 0)
    }

    func testBidiStreamAnswersEachMessageBeforeTheClientHalfCloses() throws {
        let connection = try makeConnection(ClosureCallHandler { call in
            var count = 0
            call.onMessage = { message in
                count += 1
                call.send(bytes("reply \(count) to ") + message)
                call.send(bytes("second reply \(count)"))
            }
            call.onHalfClose = { call.finish(GRPCStatus(code: 0, message: "done after \(count)")) }
        })
        try connection.run { connection in
            let client = connection.client
            let stream = client.startCall(path: "/etcdserverpb.Watch/Watch")
            for round in 1 ... 3 {
                client.send(bytes("m\(round)"), on: stream)
                try connection.pump()
                let messages = try XCTUnwrap(client.responses[stream]?.messages)
                XCTAssertEqual(messages.count, round * 2, "replies arrive while the request stream is open")
                XCTAssertEqual(messages[(round - 1) * 2], bytes("reply \(round) to m\(round)"))
                XCTAssertEqual(client.responses[stream]?.isClosed, false)
            }
            client.halfClose(stream)
            try connection.pump()
            let response = try XCTUnwrap(client.responses[stream])
            XCTAssertEqual(response.grpcStatus, 0)
            XCTAssertEqual(response.grpcMessage, "done after 3")
            XCTAssertTrue(response.isClosed)
        }
    }

    func testMessagesSplitAcrossFramesAndSharingOneFrame() throws {
        let received = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onMessage = { received.record(String(decoding: $0, as: UTF8.self)) }
            call.onHalfClose = { call.finish(.ok) }
        })
        try connection.run { connection in
            let client = connection.client
            let stream = client.startCall(path: "/test/Split")
            // Two whole messages in one DATA frame.
            client.sendRaw([0, 0, 0, 0, 3] + bytes("one") + [0, 0, 0, 0, 3] + bytes("two"), on: stream)
            try connection.pump()
            // One message spread over three frames, the prefix itself split.
            client.sendRaw([0, 0, 0], on: stream)
            try connection.pump()
            client.sendRaw([0, 5] + bytes("th"), on: stream)
            try connection.pump()
            XCTAssertEqual(received.all, ["one", "two"])
            client.sendRaw(bytes("ree") + [0, 0, 0, 0, 0], on: stream)  // the rest, then an empty message
            client.halfClose(stream)
            try connection.pump()
            XCTAssertEqual(client.responses[stream]?.grpcStatus, 0)
        }
        XCTAssertEqual(received.all, ["one", "two", "three", ""])
    }

    func testOneByteAtATimeGivesTheSameResultAsWholeReads() throws {
        func exchange(clientChunkBytes: Int) throws -> [String] {
            let connection = try makeConnection(ClosureCallHandler { call in
                call.onMessage = { message in call.send(message.reversed()) }
                call.onHalfClose = { call.finish(GRPCStatus(code: 0, message: "token \(call.metadataValue("token") ?? "")")) }
            })
            return try connection.run { connection in
                let client = connection.client
                let large = (0 ..< 40_000).map { UInt8(truncatingIfNeeded: $0) }
                let streams = (0 ..< 2).map { index in
                    client.startCall(path: "/test/Drip", metadata: [("token", "t\(index)"), ("grpc-timeout", "10S")])
                }
                for stream in streams {
                    client.send(bytes("abc"), on: stream)
                    client.send(large, on: stream)
                    client.send([], on: stream)
                    client.halfClose(stream)
                }
                try connection.pump(clientChunkBytes: clientChunkBytes)
                return streams.map { stream in
                    let response = connection.client.responses[stream]!
                    let sizes = response.messages?.map { String($0.count) }.joined(separator: ",") ?? "undecodable"
                    let firstReversed = response.messages?.first == Array(bytes("abc").reversed())
                    let largeReversed = response.messages?.dropFirst().first == large.reversed()
                    return "\(response.header(":status") ?? "") \(sizes) \(firstReversed) \(largeReversed) "
                        + "\(response.grpcStatus ?? -1) \(response.grpcMessage ?? "") closed=\(response.isClosed)"
                }
            }
        }
        let whole = try exchange(clientChunkBytes: .max)
        XCTAssertEqual(whole, ["200 3,40000,0 true true 0 token t0 closed=true", "200 3,40000,0 true true 0 token t1 closed=true"])
        XCTAssertEqual(try exchange(clientChunkBytes: 1), whole)
    }

    func testErrorWithoutMessagesIsTrailersOnlyWithContentType() throws {
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onMessage = { _ in call.finish(GRPCStatus(code: 3, message: "etcdserver: key is not provided")) }
        })
        let response = try connection.run { connection in
            let stream = connection.client.startCall(path: "/etcdserverpb.KV/Range")
            connection.client.send([], on: stream)
            connection.client.halfClose(stream)
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertTrue(response.isTrailersOnly)
        XCTAssertEqual(response.header(":status"), "200")
        XCTAssertEqual(response.header("content-type"), "application/grpc")
        XCTAssertEqual(response.header("grpc-status"), "3")
        XCTAssertEqual(response.header("grpc-message"), "etcdserver: key is not provided")
        XCTAssertEqual(response.body, [])
        XCTAssertTrue(response.trailers.isEmpty)
    }

    func testStatusMessageIsPercentEncoded() throws {
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onHalfClose = {
                call.send(bytes("x"))
                call.finish(GRPCStatus(code: 9, message: "100% naïve\nline"))
            }
        })
        let response = try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Encode")
            connection.client.halfClose(stream)
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertEqual(response.trailer("grpc-status"), "9")
        XCTAssertEqual(response.trailer("grpc-message"), "100%25 na%C3%AFve%0Aline")
    }

    func testExpiredDeadlineAnswersDeadlineExceededThenCancels() throws {
        let events = EventRecorder()
        let cancelled = eventLoop.makePromise(of: Void.self)
        let connection = try makeConnection(ClosureCallHandler { call in
            events.record("handle")
            call.onCancel = {
                events.record("cancel")
                call.finish(.ok)  // too late: must be ignored
            }
            call.onFinish = { status in
                events.record("finish \(status.code)")
                cancelled.succeed()
            }
        })
        let stream = try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Slow", metadata: [("grpc-timeout", "1m")])
            try connection.pump()
            return stream
        }
        try waitBounded(cancelled.futureResult)
        let response = try connection.run { connection in
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertEqual(events.all, ["handle", "cancel", "finish 4"])
        XCTAssertTrue(response.isTrailersOnly)
        XCTAssertEqual(response.header("content-type"), "application/grpc")
        XCTAssertEqual(response.grpcStatus, 4)
        XCTAssertEqual(response.grpcMessage, "context deadline exceeded")
        XCTAssertTrue(response.isClosed, "the still-open request side is reset after the answer")
    }

    func testDeadlinesOfManyCallsExpireInOrderAndSpareTheOthers() throws {
        // One timer per connection serves every deadline: armed for the long one first, it
        // must be moved earlier for the short ones, skip the call that already ended, and
        // leave the long-deadline and deadline-less calls alone.
        let events = EventRecorder()
        let bothExpired = eventLoop.makePromise(of: Void.self)
        let open = NIOLockedValueBox<[String: GRPCServerCall]>([:])
        let connection = try makeConnection(ClosureCallHandler { call in
            open.withLockedValue { $0[call.path] = call }
            call.onCancel = { events.record("cancel \(call.path)") }
            call.onFinish = { status in
                events.record("finish \(call.path) \(status.code)")
                if call.path == "/test/Short2" { bothExpired.succeed() }
            }
            if call.path == "/test/Done" { call.finish(.ok) }
        })
        let streams = try connection.run { connection in
            let streams = [
                ("/test/Long", "10S"), ("/test/Done", "1m"), ("/test/Short2", "60m"),
                ("/test/Short1", "20m"), ("/test/None", nil),
            ].map { path, timeout in
                (path, connection.client.startCall(path: path, metadata: timeout.map { [("grpc-timeout", $0)] } ?? []))
            }
            try connection.pump()
            return Dictionary(uniqueKeysWithValues: streams)
        }
        try waitBounded(bothExpired.futureResult)
        try connection.run { connection in
            try connection.pump()
            for path in ["/test/Short1", "/test/Short2"] {
                XCTAssertEqual(connection.client.responses[streams[path]!]?.grpcStatus, 4, path)
                XCTAssertEqual(connection.client.responses[streams[path]!]?.grpcMessage, "context deadline exceeded", path)
            }
            XCTAssertEqual(connection.client.responses[streams["/test/Done"]!]?.grpcStatus, 0)
            XCTAssertNil(connection.client.responses[streams["/test/Long"]!]?.grpcStatus, "still open")
            XCTAssertNil(connection.client.responses[streams["/test/None"]!]?.grpcStatus, "still open")
            for path in ["/test/Long", "/test/None"] {
                open.withLockedValue { $0[path] }?.finish(GRPCStatus(code: 0, message: "done"))
            }
            try connection.pump()
            XCTAssertEqual(connection.client.responses[streams["/test/Long"]!]?.grpcStatus, 0)
            XCTAssertEqual(connection.client.responses[streams["/test/None"]!]?.grpcStatus, 0)
        }
        XCTAssertEqual(events.all, [
            "finish /test/Done 0",
            "cancel /test/Short1", "finish /test/Short1 4",
            "cancel /test/Short2", "finish /test/Short2 4",
            "finish /test/Long 0", "finish /test/None 0",
        ])
    }

    func testMetadataIsEveryRegularHeaderInArrivalOrder() throws {
        let seen = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            seen.record(call.metadata.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
            seen.record("x-dup=\(call.metadataValue("x-dup") ?? "-") missing=\(call.metadataValue("missing") ?? "-")")
            seen.record("path=\(call.path)")
            call.finish(.ok)
        })
        try connection.run { connection in
            for _ in 0 ..< 2 {  // the second request reuses the connection's copy of the path
                connection.client.startCall(path: "/etcdserverpb.KV/Range", metadata: [
                    ("x-dup", "1"), ("token", "naïve"), ("x-dup", "2"), ("x-empty", ""),
                ])
            }
            try connection.pump()
        }
        let expected = [
            "content-type=application/grpc te=trailers x-dup=1 token=naïve x-dup=2 x-empty=",
            "x-dup=1 missing=-",
            "path=/etcdserverpb.KV/Range",
        ]
        XCTAssertEqual(seen.all, expected + expected)
    }

    func testMalformedTimeoutIsRejectedWithoutReachingTheHandler() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { _ in events.record("handle") })
        let responses = try connection.run { connection in
            let streams = ["1x", "123456789S", "S", "-5m"].map {
                connection.client.startCall(path: "/test/T", metadata: [("grpc-timeout", $0)])
            }
            try connection.pump()
            return streams.map { connection.client.responses[$0]! }
        }
        XCTAssertEqual(events.all, [])
        for response in responses {
            XCTAssertEqual(response.grpcStatus, 13)
            XCTAssertEqual(response.header("content-type"), "application/grpc")
            XCTAssertTrue(response.isClosed)
        }
    }

    func testOversizeMessageIsRefusedAsSoonAsItsPrefixArrives() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onMessage = { _ in events.record("message") }
            call.onCancel = { events.record("cancel") }
        }, maxReceiveMessageBytes: 1024)
        let response = try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Big")
            // Announce 4096 bytes but send only the prefix and a little: the answer must not
            // wait for the body.
            connection.client.sendRaw([0, 0, 0, 0x10, 0x00] + [UInt8](repeating: 1, count: 100), on: stream)
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertEqual(events.all, ["cancel"])
        XCTAssertEqual(response.grpcStatus, 8)
        XCTAssertEqual(response.grpcMessage, "grpc: received message larger than max (4096 vs. 1024)")
        XCTAssertEqual(response.header("content-type"), "application/grpc")
        XCTAssertTrue(response.isClosed, "the request side is reset so the client stops uploading")
    }

    func testCompressedMessageIsUnimplemented() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onMessage = { _ in events.record("message") }
            call.onCancel = { events.record("cancel") }
        })
        let (gzip, identity) = try connection.run { connection in
            let gzip = connection.client.startCall(path: "/test/Z", metadata: [("grpc-encoding", "gzip")])
            let identity = connection.client.startCall(path: "/test/Z")
            for stream in [gzip, identity] {
                connection.client.sendRaw([1, 0, 0, 0, 1, 0x1f], on: stream)
                connection.client.halfClose(stream)
            }
            try connection.pump()
            return (connection.client.responses[gzip]!, connection.client.responses[identity]!)
        }
        XCTAssertEqual(events.all, ["cancel", "cancel"])
        XCTAssertEqual(gzip.grpcStatus, 12)
        XCTAssertEqual(gzip.grpcMessage, "grpc: Decompressor is not installed for grpc-encoding \"gzip\"")
        XCTAssertEqual(identity.grpcStatus, 13)
    }

    func testClientResetCancelsTheCall() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onMessage = { _ in events.record("message") }
            call.onCancel = {
                events.record("cancel")
                call.send(bytes("ignored"))  // after the end: no-op
            }
            call.onFinish = { events.record("finish \($0.code) \($0.message)") }
        })
        try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Reset")
            connection.client.send(bytes("a"), on: stream)
            try connection.pump()
            connection.client.reset(stream)
            try connection.pump()
            XCTAssertEqual(connection.client.responses[stream]?.body, [])
        }
        XCTAssertEqual(events.all, ["message", "cancel", "finish 1 context canceled"])
    }

    func testClosedConnectionCancelsEveryOpenCall() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onCancel = { events.record("cancel \(call.path)") }
            if call.path == "/test/Done" {
                call.finish(.ok)
            }
        })
        try connection.run { connection in
            for path in ["/test/A", "/test/B", "/test/Done"] {
                connection.client.startCall(path: path)
            }
            try connection.pump()
            connection.server.connectionClosed()
        }
        XCTAssertEqual(Set(events.all), ["cancel /test/A", "cancel /test/B"])
    }

    func testTenMegabyteResponseArrivesWholeThroughA64KiBClientWindow() throws {
        let payload = (0 ..< 10 * 1024 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let buffered = NIOLockedValueBox<[Int]>([])
        let connection = try makeConnection(ClosureCallHandler { call in
            call.onHalfClose = {
                call.send(payload)
                call.finish(.ok)
                buffered.withLockedValue { $0.append(call.bufferedOutboundBytes) }
            }
        }, clientWindowBytes: 65_535)
        let response = try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Large")
            connection.client.halfClose(stream)
            try connection.pump()
            return connection.client.responses[stream]!
        }
        XCTAssertEqual(buffered.withLockedValue { $0 }, [payload.count + 5], "queued on the stream, not yet framed")
        XCTAssertEqual(response.grpcStatus, 0)
        XCTAssertEqual(response.body.count, payload.count + 5)
        XCTAssertTrue(response.messages?.first == payload)
    }

    func testNonGRPCRequestsGetAnHTTPErrorNotACall() throws {
        let events = EventRecorder()
        let connection = try makeConnection(ClosureCallHandler { _ in events.record("handle") })
        let (get, json) = try connection.run { connection in
            let get = connection.client.startCall(path: "/health", method: "GET")
            let json = connection.client.startCall(path: "/v3/kv/range", contentType: "application/json")
            connection.client.halfClose(get)
            connection.client.halfClose(json)
            try connection.pump()
            return (connection.client.responses[get]!, connection.client.responses[json]!)
        }
        XCTAssertEqual(events.all, [])
        XCTAssertEqual(get.header(":status"), "405")
        XCTAssertEqual(json.header(":status"), "415")
        XCTAssertEqual(json.header("content-type"), "application/grpc")
        XCTAssertTrue(get.isClosed && json.isClosed)
    }

    func testPingsWithoutStreamsAreAnsweredAndNeverPunished() throws {
        let connection = try makeConnection(ClosureCallHandler.echo())
        try connection.run { connection in
            for _ in 0 ..< 50 {
                connection.client.ping()
                try connection.pump()
            }
            XCTAssertNil(connection.client.goAwayLastStreamID)
            XCTAssertFalse(connection.server.isFinished)
            let stream = connection.client.startCall(path: "/test/AfterPings")
            connection.client.halfClose(stream)
            try connection.pump()
            XCTAssertEqual(connection.client.responses[stream]?.grpcStatus, 0)
        }
    }

    func testGracefulShutdownSendsGoAwayAndFinishesAfterTheLastCall() throws {
        let held = NIOLockedValueBox<GRPCServerCall?>(nil)
        let connection = try makeConnection(ClosureCallHandler { call in held.withLockedValue { $0 = call } })
        try connection.run { connection in
            let stream = connection.client.startCall(path: "/test/Held")
            try connection.pump()
            connection.server.beginGracefulShutdown()
            try connection.pump()
            XCTAssertEqual(connection.client.goAwayLastStreamID, stream)
            XCTAssertFalse(connection.server.isFinished, "the open call may still finish")
            held.withLockedValue { $0 }?.finish(.ok)
            try connection.pump()
            XCTAssertEqual(connection.client.responses[stream]?.grpcStatus, 0)
            XCTAssertTrue(connection.server.isFinished)
        }
    }

    func testGarbageAfterThePrefaceEndsTheSessionWithGoAway() throws {
        let connection = try makeConnection(ClosureCallHandler.echo())
        try connection.run { connection in
            let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
            // A frame header announcing a 16 MiB SETTINGS frame on stream 7: a connection error.
            let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x07] + bytes("junk")
            try connection.server.receive(ByteBuffer(bytes: preface + garbage))
            var output = ByteBuffer()
            try connection.server.drainOutput(into: &output, limit: .max)
            XCTAssertTrue(Self.frameTypes(in: Array(output.readableBytesView)).contains(0x7), "GOAWAY sent")
            XCTAssertTrue(connection.server.isFinished)
        }
    }

    func testCorruptedClientBytesNeverCrashTheServer() throws {
        // A valid client conversation, recorded once, then damaged differently per seed.
        let recorder = H2TestClient()
        for index in 0 ..< 3 {
            let stream = recorder.startCall(path: "/test/Fuzz", metadata: [("grpc-timeout", "5S"), ("token", "t\(index)")])
            recorder.send([UInt8](repeating: UInt8(index), count: 300 * index), on: stream)
            recorder.halfClose(stream)
        }
        let original = try recorder.takeOutput()
        let prefaceLength = 24
        let handled = EventRecorder()
        // GRPC_TRANSPORT_FUZZ_SEEDS=100000 for a longer hunt; the seed of a crash replays it.
        let seeds = ProcessInfo.processInfo.environment["GRPC_TRANSPORT_FUZZ_SEEDS"].flatMap { Int($0) } ?? 300
        for seed in 0 ..< seeds {
            var random = SplitMix64(seed: UInt64(seed))
            var damaged = original
            for _ in 0 ... random.next(below: 4) {
                damaged[prefaceLength + random.next(below: damaged.count - prefaceLength)] = UInt8(random.next(below: 256))
            }
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < damaged.count {
                let end = min(damaged.count, start + 1 + random.next(below: 200))
                chunks.append(damaged[start ..< end])
                start = end
            }
            let handler = ClosureCallHandler { call in
                handled.record(call.path)
                call.onMessage = { call.send($0) }
                call.onHalfClose = { call.finish(.ok) }
            }
            let connection = try makeConnection(handler, maxReceiveMessageBytes: 512)
            try connection.run { [chunks] connection in
                for chunk in chunks {
                    do {
                        try connection.server.receive(ByteBuffer(bytes: chunk))
                    } catch {
                        break  // a fatal session error: the connection would be dropped
                    }
                    var output = ByteBuffer()
                    try connection.server.drainOutput(into: &output, limit: .max)
                }
                connection.server.connectionClosed()
            }
        }
        XCTAssertGreaterThan(handled.all.count, 100, "most damaged conversations still reach the handler")
    }

    /// The frame types in a sequence of whole HTTP/2 frames.
    static func frameTypes(in bytes: [UInt8]) -> [UInt8] {
        var types: [UInt8] = []
        var index = 0
        while bytes.count - index >= 9 {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            types.append(bytes[index + 3])
            index += 9 + length
        }
        return types
    }
}

/// A small seeded generator so a failing damage pattern can be replayed from its seed.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return Int(value % UInt64(bound))
    }
}
