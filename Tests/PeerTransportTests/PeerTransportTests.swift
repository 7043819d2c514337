import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PeerTransport
import XCTest

/// Transports talking to each other over real sockets on 127.0.0.1.
final class PeerTransportTests: XCTestCase {
    private struct Member {
        var id: UInt64
        var transport: PeerTransport
        var handler: RecordingPeerHandler
        var logs: CapturedLogs
        var port: Int
        var url: String { "http://127.0.0.1:\(port)" }
    }

    private var group: MultiThreadedEventLoopGroup!
    private var transports: [PeerTransport] = []

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        for transport in transports {
            _ = try? waitBounded(transport.shutdown())
        }
        transports = []
        try? group.syncShutdownGracefully()
    }

    /// A member listening on 127.0.0.1 (`port` 0 picks a free one), with quick timers.
    private func startMember(
        _ id: UInt64, cluster: UInt64 = 1, port: Int = 0,
        handler: RecordingPeerHandler = RecordingPeerHandler(),
        configure: (inout PeerTransportConfiguration) -> Void = { _ in }
    ) throws -> Member {
        var configuration = PeerTransportConfiguration(localID: id, clusterID: cluster)
        configuration.reconnectBackoffMin = .milliseconds(10)
        configuration.reconnectBackoffMax = .milliseconds(80)
        configuration.pingInterval = .milliseconds(50)
        configure(&configuration)
        let logs = CapturedLogs()
        let transport = PeerTransport(
            configuration: configuration, group: group, logger: logs.logger("member-\(id)"), handler: handler
        )
        transports.append(transport)
        let address = try waitBounded(transport.listen(host: "127.0.0.1", port: port))
        return Member(id: id, transport: transport, handler: handler, logs: logs, port: try XCTUnwrap(address.port))
    }

    /// Tells every member about all the others.
    private func introduce(_ members: [Member]) {
        for member in members {
            member.transport.setPeers(Dictionary(uniqueKeysWithValues: members.filter { $0.id != member.id }.map { ($0.id, [$0.url]) }))
        }
    }

    /// Returns once every event loop has run the tasks handed to it before this call (such as
    /// the flush a `send` schedules).
    private func runQueuedEventLoopTasks() throws {
        for eventLoop in group.makeIterator() {
            try waitBounded(eventLoop.submit {})
        }
    }

    /// Sends numbered messages of 512 KiB from `member` to `peer`, which must be connected but
    /// reading nothing, until one is dropped because the queue is full; returns how many were
    /// kept (those numbered below it). One at a time, each flushed before the next, so the queue
    /// grows only once the connection takes no more and then stays full: the last
    /// `maxQueuedMessages` kept are in it.
    private func sendUntilTheQueueOverflows(from member: Member, to peer: UInt64,
                                            file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var sent = 0
        // The warning is logged by the send that overflowed.
        while member.logs.count(.warning, containing: "is full") == 0 {
            guard sent < 200 else {
                XCTFail("the queue never overflowed", file: file, line: line)
                throw TestTimeout()
            }
            member.transport.send(numbered(sent, size: 512 << 10), to: peer)
            sent += 1
            try runQueuedEventLoopTasks()
        }
        return sent - 1
    }

    /// Introduces the members and waits until each has its message connection to every other.
    /// What is sent before that may meet a dial refused because the receiver had not heard of
    /// the sender yet, and a failed dial discards what was queued.
    private func connect(_ members: [Member]) {
        introduce(members)
        waitUntil("every member connected to every other") {
            members.allSatisfy { member in
                members.allSatisfy { $0.id == member.id || member.transport.isConnected(to: $0.id) }
            }
        }
    }

    /// A port that was free a moment ago (a member that starts or comes back later binds it).
    private func vacatedPort() throws -> Int {
        let placeholder = try startMember(99)
        try waitBounded(placeholder.transport.shutdown())
        return placeholder.port
    }

    // MARK: - Messages

    func testThousandsOfMessagesArriveInOrderBetweenThreeMembers() throws {
        let (a, b, c) = (try startMember(1), try startMember(2), try startMember(3))
        connect([a, b, c])
        let count = 3000
        for index in 0 ..< count {
            a.transport.send(numbered(index), to: b.id)
            c.transport.send(numbered(index, size: 200), to: b.id)
            b.transport.send(numbered(index), to: a.id)
        }
        waitUntil("all messages arrived") {
            b.handler.messages(from: a.id).count == count && b.handler.messages(from: c.id).count == count
                && a.handler.messages(from: b.id).count == count
        }
        XCTAssertEqual(numbers(b.handler.messages(from: a.id)), Array(0 ..< count))
        XCTAssertEqual(numbers(b.handler.messages(from: c.id)), Array(0 ..< count))
        XCTAssertEqual(numbers(a.handler.messages(from: b.id)), Array(0 ..< count))
        XCTAssertTrue(a.transport.isConnected(to: b.id))
        XCTAssertTrue(c.transport.isConnected(to: b.id))
        XCTAssertFalse(c.transport.isConnected(to: 42))
        waitUntil("a round trip was measured") { !a.handler.roundTrips(to: b.id).isEmpty }
        XCTAssertTrue(a.handler.roundTrips(to: b.id).allSatisfy { $0 >= 0 && $0 < 5 })
    }

    func testMessagesSentDuringTheFirstDialAreDelivered() throws {
        let peer = try ControlledPeer(group: group, answersHellos: false)
        defer { try? peer.close() }
        let a = try startMember(1)
        a.transport.setPeers([2: [peer.url]])
        waitUntil("the first dial reached the peer") { peer.hellos == 1 }
        // The dial is in progress (the hello is not answered yet): these wait for it.
        for index in 0 ..< 100 {
            a.transport.send(numbered(index), to: 2)
        }
        XCTAssertFalse(a.transport.isConnected(to: 2))

        peer.answerHellos()
        waitUntil("the queued messages arrived") { peer.messages.count >= 100 }
        XCTAssertEqual(peer.messages, Array(0 ..< 100))
        XCTAssertTrue(a.transport.isConnected(to: 2))
        XCTAssertEqual(a.handler.unreachableCount(2), 0)
    }

    func testMessagesForAPeerKnownToBeDownAreDroppedNotDeliveredLater() throws {
        let port = try vacatedPort()
        let a = try startMember(1)
        a.transport.setPeers([2: ["http://127.0.0.1:\(port)"]])
        // Queued during the first dial and discarded when it fails, or dropped after: never delivered.
        for index in 0 ..< 50 {
            a.transport.send(numbered(index), to: 2)
        }
        waitUntil("the dial failure was reported") { a.handler.unreachableCount(2) > 0 }
        XCTAssertFalse(a.transport.isConnected(to: 2))
        for index in 50 ..< 100 {
            a.transport.send(numbered(index), to: 2)
        }

        // b comes up but does not know a yet, so it refuses a's next dials: still the same outage.
        let b = try startMember(2, port: port)
        waitUntil("b refused several dials") {
            b.logs.count(.debug, containing: "rejected peer connection from member 1") >= 2
        }
        for index in 100 ..< 150 {
            a.transport.send(numbered(index), to: 2)
        }
        b.transport.setPeers([1: [a.url]])
        waitUntil("a connected") { a.transport.isConnected(to: 2) }
        // One outage, reported once however many dials failed or were refused.
        XCTAssertEqual(a.handler.unreachableCount(2), 1)

        // In order on the connection: anything kept from the outage would arrive before these.
        for index in 1000 ..< 1100 {
            a.transport.send(numbered(index), to: 2)
        }
        waitUntil("messages sent once connected arrived") { b.handler.messages(from: 1).count >= 100 }
        XCTAssertEqual(numbers(b.handler.messages(from: 1)), Array(1000 ..< 1100))
        XCTAssertEqual(a.handler.unreachableCount(2), 1)
    }

    func testPeerThatRestartsIsReconnectedAndGetsOnlyNewMessages() throws {
        let a = try startMember(1)
        var b = try startMember(2)
        connect([a, b])
        a.transport.send(numbered(0), to: b.id)
        waitUntil("first message arrived") { b.handler.messages(from: a.id).count == 1 }

        try waitBounded(b.transport.shutdown())
        waitUntil("the drop was noticed") { !a.transport.isConnected(to: b.id) && a.handler.unreachableCount(b.id) > 0 }
        // Sent while b is known to be down: dropped, not delivered once it is back.
        for index in 1 ... 50 {
            a.transport.send(numbered(index), to: b.id)
        }
        b = try startMember(2, port: b.port)
        b.transport.setPeers([a.id: [a.url]])
        waitUntil("a reconnected") { a.transport.isConnected(to: b.id) }
        for index in 51 ... 100 {
            a.transport.send(numbered(index), to: b.id)
        }
        waitUntil("messages sent after the reconnect arrived") { b.handler.messages(from: a.id).count >= 50 }
        XCTAssertEqual(numbers(b.handler.messages(from: a.id)), Array(51 ... 100))
        XCTAssertEqual(a.handler.unreachableCount(b.id), 1)
        XCTAssertGreaterThanOrEqual(a.logs.count(.info, containing: "connected to peer 2"), 2)
    }

    func testQueueOverflowDropsAndReportsOnce() throws {
        // Connected, but the peer reads nothing: the socket buffers fill, the connection stops
        // taking more, and then the queue fills.
        let peer = try ControlledPeer(group: group, reads: false)
        defer { try? peer.close() }
        let a = try startMember(1) {
            $0.maxQueuedMessages = 10
            $0.unresponsiveTimeout = .seconds(30)
        }
        a.transport.setPeers([2: [peer.url]])
        waitUntil("a connected") { a.transport.isConnected(to: 2) }

        let kept = try sendUntilTheQueueOverflows(from: a, to: 2)
        let sent = kept + 1
        for index in sent ..< sent + 50 {
            a.transport.send(numbered(index), to: 2)
        }
        waitUntil("the overflow was reported") { a.handler.unreachableCount(2) >= 1 }
        try runQueuedEventLoopTasks()
        XCTAssertEqual(a.handler.unreachableCount(2), 1)
        XCTAssertEqual(a.logs.count(.warning, containing: "is full"), 1)
        XCTAssertTrue(a.transport.isConnected(to: 2))

        // Once the peer reads again, what was kept arrives, and the queue takes messages again.
        peer.resumeReading()
        waitUntil("the kept messages arrived") { peer.messages.count >= kept }
        XCTAssertEqual(peer.messages, Array(0 ..< kept))
        for index in 1000 ..< 1020 {
            a.transport.send(numbered(index), to: 2)
            // Paced: a burst larger than the queue outruns the event loop and overflows it too.
            try runQueuedEventLoopTasks()
        }
        waitUntil("later messages arrived") { peer.messages.count >= kept + 20 }
        XCTAssertEqual(peer.messages, Array(0 ..< kept) + Array(1000 ..< 1020))
        XCTAssertEqual(a.handler.unreachableCount(2), 1)
        XCTAssertTrue(a.transport.isConnected(to: 2))
    }

    func testMessagesQueuedWhenTheConnectionIsLostAreDiscarded() throws {
        let peer = try ControlledPeer(group: group, reads: false)
        defer { try? peer.close() }
        let a = try startMember(1) {
            $0.maxQueuedMessages = 10
            $0.unresponsiveTimeout = .seconds(30)
        }
        a.transport.setPeers([2: [peer.url]])
        waitUntil("a connected") { a.transport.isConnected(to: 2) }
        // The last ten sent are in the queue, behind a connection that takes no more.
        let kept = try sendUntilTheQueueOverflows(from: a, to: 2)
        waitUntil("the overflow was reported") { a.handler.unreachableCount(2) == 1 }

        peer.closeConnections()
        waitUntil("the loss was reported") { a.handler.unreachableCount(2) == 2 }
        peer.resumeReading()
        waitUntil("a reconnected") { a.transport.isConnected(to: 2) }
        for index in 1000 ..< 1020 {
            a.transport.send(numbered(index), to: 2)
            try runQueuedEventLoopTasks()
        }
        waitUntil("messages sent after the reconnect arrived") { peer.messages.contains(1019) }
        // Nothing of the lost connection's queue (kept - 10 ..< kept) follows a onto the new one.
        XCTAssertEqual(peer.messages.filter { $0 >= kept - 10 }, Array(1000 ..< 1020))
        XCTAssertEqual(a.handler.unreachableCount(2), 2)
    }

    func testSilentPeerIsDroppedAndRedialled() throws {
        let silent = try SilentPeer(group: group)
        defer { try? silent.close() }
        let a = try startMember(1) { $0.unresponsiveTimeout = .milliseconds(300) }
        a.transport.setPeers([2: ["http://127.0.0.1:\(silent.port)"]])
        waitUntil("a connected") { a.transport.isConnected(to: 2) }
        waitUntil("a gave up on it and dialled again") { silent.connections >= 2 }
        XCTAssertGreaterThanOrEqual(a.logs.count(.warning, containing: "peer 2 has not answered"), 1)
        XCTAssertGreaterThan(a.handler.unreachableCount(2), 0)
        XCTAssertTrue(a.handler.roundTrips(to: 2).isEmpty)
    }

    func testSendToUnknownPeerIsReportedUnreachable() throws {
        let a = try startMember(1)
        a.transport.send([1], to: 77)
        waitUntil("unknown peer reported") { a.handler.unreachableCount(77) == 1 }
    }

    // MARK: - Refusals

    func testWrongClusterIsRefusedAndLoggedOncePerChange() throws {
        let a = try startMember(1, cluster: 0xA)
        let b = try startMember(2, cluster: 0xB)
        introduce([a, b])
        a.transport.send([1], to: b.id)
        // Wait for several refused dials on each side.
        waitUntil("repeated refusals") {
            b.logs.count(.debug, containing: "rejected peer connection from member 1") >= 3
        }
        XCTAssertEqual(b.logs.count(.warning, containing: "rejected peer connection from member 1"), 1)
        XCTAssertEqual(b.logs.count(.warning, containing: "cluster ID mismatch (local b, remote a)"), 1)
        XCTAssertEqual(a.logs.count(.warning, containing: "peer 2 refused the connection: cluster ID mismatch"), 1)
        XCTAssertTrue(b.handler.events.isEmpty)
        XCTAssertFalse(a.transport.isConnected(to: b.id))

        let error = try failure(of: a.transport.request(to: b.id, kind: 1, payload: [], timeout: .seconds(2)))
        guard case let .rejected(reason)? = error as? PeerTransportError else {
            return XCTFail("expected a rejection, got \(String(describing: error))")
        }
        XCTAssertTrue(reason.contains("cluster ID mismatch"), reason)
    }

    func testRemovedMemberIsCutOff() throws {
        let (a, b) = (try startMember(1), try startMember(2))
        connect([a, b])
        a.transport.send(numbered(0), to: b.id)
        waitUntil("connected") { b.handler.messages(from: a.id).count == 1 && b.transport.isConnected(to: a.id) }

        b.transport.setPeers([:])
        XCTAssertFalse(b.transport.isConnected(to: a.id))
        waitUntil("a hears it was refused") {
            a.logs.count(.warning, containing: "peer 2 refused the connection: member 1 is not a current member") == 1
        }
        for index in 1 ... 20 {
            a.transport.send(numbered(index), to: b.id)
        }
        let error = try failure(of: a.transport.request(to: b.id, kind: 1, payload: [], timeout: .seconds(2)))
        guard case .rejected? = error as? PeerTransportError else {
            return XCTFail("expected a rejection, got \(String(describing: error))")
        }
        XCTAssertEqual(numbers(b.handler.messages(from: a.id)), [0])
        XCTAssertTrue(b.handler.requestSenders.isEmpty)
        XCTAssertGreaterThan(a.handler.unreachableCount(b.id), 0)
        XCTAssertEqual(try failure(of: b.transport.request(to: a.id, kind: 1, payload: [], timeout: .seconds(1))) as? PeerTransportError,
                       .unknownPeer(a.id))
    }

    func testOversizedFrameClosesOnlyThatConnection() throws {
        let b = try startMember(2) { $0.maxMessageBytes = 1024 }
        let (a, c) = (try startMember(1), try startMember(3))
        connect([a, b, c])
        a.transport.send(numbered(0), to: b.id)
        c.transport.send(numbered(0), to: b.id)
        waitUntil("both connected") {
            b.handler.messages(from: a.id).count == 1 && b.handler.messages(from: c.id).count == 1
        }

        a.transport.send(numbered(1, size: 4096), to: b.id)
        waitUntil("a's connection was closed") { a.handler.unreachableCount(b.id) > 0 }
        XCTAssertEqual(b.logs.count(.warning, containing: "frame of 4096 bytes exceeds the limit of 1024 bytes"), 1)
        // c's connection is untouched.
        for index in 1 ... 100 {
            c.transport.send(numbered(index), to: b.id)
        }
        waitUntil("a reconnected") { a.transport.isConnected(to: b.id) }
        a.transport.send(numbered(2), to: b.id)
        waitUntil("traffic flows again") {
            b.handler.messages(from: c.id).count >= 101 && b.handler.messages(from: a.id).count >= 2
        }
        XCTAssertEqual(numbers(b.handler.messages(from: a.id)), [0, 2])
        XCTAssertEqual(numbers(b.handler.messages(from: c.id)), Array(0 ... 100))
        XCTAssertEqual(a.handler.unreachableCount(b.id), 1)
        XCTAssertEqual(c.handler.unreachableCount(b.id), 0)
        XCTAssertTrue(c.transport.isConnected(to: b.id))
    }

    // MARK: - Requests

    func testRequestsGetAnswersRemoteErrorsAndTimeouts() throws {
        let unanswered = NIOLockedValueBox<[@Sendable (PeerReply) -> Void]>([])
        let b = try startMember(2, handler: RecordingPeerHandler { kind, payload, reply in
            switch kind {
            case 1: reply(.success(payload.reversed()))
            case 2: reply(.failure("boom"))
            default: unanswered.withLockedValue { $0.append(reply) }
            }
        })
        let a = try startMember(1)
        connect([a, b])

        let requests = (0 ..< 100).map { index in
            a.transport.request(to: b.id, kind: 1, payload: numbered(index), timeout: .seconds(5))
        }
        for (index, request) in requests.enumerated() {
            XCTAssertEqual(try waitBounded(request), numbered(index).reversed())
        }
        XCTAssertEqual(Set(b.handler.requestSenders), [a.id])

        XCTAssertEqual(try failure(of: a.transport.request(to: b.id, kind: 2, payload: [], timeout: .seconds(5))) as? PeerTransportError,
                       .remote("boom"))

        let started = NIODeadline.now()
        XCTAssertEqual(try failure(of: a.transport.request(to: b.id, kind: 3, payload: [], timeout: .milliseconds(200))) as? PeerTransportError,
                       .timedOut)
        XCTAssertLessThan(NIODeadline.now() - started, .seconds(2))
        // A late answer is ignored, and the connection stays usable.
        for reply in unanswered.withLockedValue({ $0 }) {
            reply(.success([1]))
        }
        XCTAssertEqual(try waitBounded(a.transport.request(to: b.id, kind: 1, payload: [1, 2], timeout: .seconds(5))), [2, 1])
        XCTAssertEqual(try failure(of: a.transport.request(to: 42, kind: 1, payload: [], timeout: .seconds(1))) as? PeerTransportError,
                       .unknownPeer(42))
    }

    func testAnonymousRequestToAURL() throws {
        let b = try startMember(2, cluster: 0xC)
        let reply = try waitBounded(PeerTransport.request(
            url: b.url, kind: 1, payload: [7, 8], clusterID: 0, timeout: .seconds(5), group: group
        ))
        XCTAssertEqual(reply, [7, 8])
        XCTAssertEqual(b.handler.requestSenders, [0])
        XCTAssertEqual(try waitBounded(PeerTransport.request(
            url: b.url, kind: 1, payload: [9], clusterID: 0xC, timeout: .seconds(5), group: group
        )), [9])

        let wrongCluster = try failure(of: PeerTransport.request(
            url: b.url, kind: 1, payload: [], clusterID: 0xD, timeout: .seconds(5), group: group
        ))
        XCTAssertEqual(wrongCluster as? PeerTransportError, .rejected("cluster ID mismatch (local c, remote d)"))

        let closedPort = try vacatedPort()
        let nobody = try failure(of: PeerTransport.request(
            url: "http://127.0.0.1:\(closedPort)", kind: 1, payload: [], clusterID: 0, timeout: .seconds(5), group: group
        ))
        XCTAssertEqual(nobody as? PeerTransportError, .unreachable(0))
        guard case .invalidURL? = try failure(of: PeerTransport.request(
            url: "https://127.0.0.1:1", kind: 1, payload: [], clusterID: 0, timeout: .seconds(5), group: group
        )) as? PeerTransportError else {
            return XCTFail("expected invalidURL")
        }
    }

    // MARK: - Snapshots

    func testSnapshotTravelsOnItsOwnConnectionWhileMessagesFlow() throws {
        let (a, b) = (try startMember(1), try startMember(2))
        connect([a, b])
        a.transport.send(numbered(0), to: b.id)
        waitUntil("connected") { b.handler.messages(from: a.id).count == 1 }

        let snapshot = distinctBlocks(byteCount: 12 << 20)
        let acknowledged = group.next().makePromise(of: Bool.self)
        a.transport.sendSnapshot(snapshot, to: b.id) { acknowledged.succeed($0) }
        // A heartbeat sent after the snapshot must not wait behind it.
        a.transport.send(numbered(1), to: b.id)
        XCTAssertTrue(try waitBounded(acknowledged.futureResult))

        let events = b.handler.events
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.last, .snapshot(.init(from: a.id, bytes: snapshot)))
        XCTAssertEqual(numbers(b.handler.messages(from: a.id)), [0, 1])
        XCTAssertTrue(a.transport.isConnected(to: b.id))
    }

    func testSnapshotFailuresCompleteWithFalse() throws {
        let b = try startMember(2) { $0.maxSnapshotBytes = 1 << 20 }
        let a = try startMember(1)
        introduce([a, b])

        let tooLarge = group.next().makePromise(of: Bool.self)
        a.transport.sendSnapshot([UInt8](repeating: 1, count: 2 << 20), to: b.id) { tooLarge.succeed($0) }
        XCTAssertFalse(try waitBounded(tooLarge.futureResult))
        XCTAssertEqual(a.logs.count(.warning, containing: "refused: snapshot of 2097152 bytes exceeds the limit"), 1)

        let unknown = group.next().makePromise(of: Bool.self)
        a.transport.sendSnapshot([1], to: 42) { unknown.succeed($0) }
        XCTAssertFalse(try waitBounded(unknown.futureResult))
        XCTAssertTrue(b.handler.snapshots.isEmpty)
    }

    // MARK: - Shutdown

    func testShutdownFailsPendingRequests() throws {
        let b = try startMember(2, handler: RecordingPeerHandler { _, _, _ in })
        let a = try startMember(1)
        connect([a, b])
        let pending = a.transport.request(to: b.id, kind: 1, payload: [], timeout: .seconds(30))
        waitUntil("the request reached b") { b.handler.requestSenders.count == 1 }

        try waitBounded(a.transport.shutdown(), timeout: .seconds(5))
        XCTAssertEqual(try failure(of: pending, timeout: .seconds(1)) as? PeerTransportError, .shutDown)
        XCTAssertEqual(try failure(of: a.transport.request(to: b.id, kind: 1, payload: [], timeout: .seconds(1))) as? PeerTransportError,
                       .shutDown)
        a.transport.send([1], to: b.id)
        XCTAssertFalse(a.transport.isConnected(to: b.id))
        waitUntil("b sees a go") { !b.transport.isConnected(to: a.id) }
    }
}
