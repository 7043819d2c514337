import NIOConcurrencyHelpers
import PeerTransport

/// Test double for the server: records everything the transport reports and answers requests
/// through `answer` (by default, echoes the payload).
final class RecordingPeerHandler: PeerTransportHandler {
    typealias Answer = @Sendable (_ kind: UInt8, _ payload: [UInt8], _ reply: @escaping @Sendable (PeerReply) -> Void) -> Void

    struct Delivery: Equatable {
        var from: UInt64
        var bytes: [UInt8]
    }

    enum Event: Equatable {
        case message(Delivery)
        case snapshot(Delivery)
    }

    private struct State {
        var events: [Event] = []
        var requestSenders: [UInt64] = []
        var unreachable: [UInt64] = []
        var roundTrips: [UInt64: [Double]] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let answer: Answer

    init(answer: @escaping Answer = { _, payload, reply in reply(.success(payload)) }) {
        self.answer = answer
    }

    func receivedMessage(_ bytes: [UInt8], from: UInt64) {
        state.withLockedValue { $0.events.append(.message(Delivery(from: from, bytes: bytes))) }
    }

    func receivedSnapshot(_ bytes: [UInt8], from: UInt64) {
        state.withLockedValue { $0.events.append(.snapshot(Delivery(from: from, bytes: bytes))) }
    }

    func receivedRequest(kind: UInt8, payload: [UInt8], from: UInt64, reply: @escaping @Sendable (PeerReply) -> Void) {
        state.withLockedValue { $0.requestSenders.append(from) }
        answer(kind, payload, reply)
    }

    func peerUnreachable(_ peer: UInt64) {
        state.withLockedValue { $0.unreachable.append(peer) }
    }

    func measuredRoundTrip(to peer: UInt64, seconds: Double) {
        state.withLockedValue { $0.roundTrips[peer, default: []].append(seconds) }
    }

    var events: [Event] {
        state.withLockedValue { $0.events }
    }

    /// The messages from `sender`, in arrival order.
    func messages(from sender: UInt64) -> [[UInt8]] {
        events.compactMap { event in
            guard case let .message(delivery) = event, delivery.from == sender else { return nil }
            return delivery.bytes
        }
    }

    var snapshots: [Delivery] {
        events.compactMap { event in
            guard case let .snapshot(delivery) = event else { return nil }
            return delivery
        }
    }

    var requestSenders: [UInt64] {
        state.withLockedValue { $0.requestSenders }
    }

    func unreachableCount(_ peer: UInt64) -> Int {
        state.withLockedValue { $0.unreachable.filter { $0 == peer }.count }
    }

    func roundTrips(to peer: UInt64) -> [Double] {
        state.withLockedValue { $0.roundTrips[peer] ?? [] }
    }
}
