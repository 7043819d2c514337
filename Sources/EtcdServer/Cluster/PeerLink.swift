import EtcdWire
import Logging
import NIOCore
import PeerTransport
import Raft

/// The member's side of the peer port: Raft messages between the consensus loop and the peer
/// transport in both directions, and the requests other members send (the membership for a
/// joining member, lease keep-alives and time-to-live forwarded to the leader, promotions).
final class PeerLink: RaftLoopDelegate, PeerTransportHandler, @unchecked Sendable {
    // Set once by the server before the transport or the loop run, never changed after.
    unowned(unsafe) var server: EtcdServer!
    var transport: PeerTransport!
    var raftLoop: RaftLoop!
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    // MARK: - RaftLoopDelegate (the consensus loop's thread)

    func send(_ message: Message) {
        transport.send(message.encode(), to: message.to)
    }

    func sendSnapshot(_ message: Message, delivered: @escaping @Sendable (Bool) -> Void) {
        transport.sendSnapshot(message.encode(), to: message.to, completion: delivered)
    }

    func leadershipChanged(to leader: UInt64, isLeader: Bool) {
        server.leadershipChanged(isLeader: isLeader)
    }

    func membershipChanged() {
        server.membershipChanged()
        updatePeers()
    }

    func removedFromCluster() {
        server.removedFromCluster()
    }

    /// Points the transport at the members the applied log lists.
    func updatePeers() {
        var peers: [UInt64: [String]] = [:]
        for member in server.stateMachine.members.members where member.id != server.memberID {
            peers[member.id] = member.peerURLs
        }
        transport.setPeers(peers)
    }

    // MARK: - PeerTransportHandler (transport event loops)

    func receivedMessage(_ bytes: [UInt8], from: UInt64) {
        do {
            raftLoop.step(try Message(decoding: bytes))
        } catch {
            logger.warning("dropped an undecodable raft message", metadata: ["from": "\(String(from, radix: 16))", "error": "\(error)"])
        }
    }

    func receivedSnapshot(_ bytes: [UInt8], from: UInt64) {
        receivedMessage(bytes, from: from)
    }

    func peerUnreachable(_ peer: UInt64) {
        raftLoop.reportUnreachable(peer)
    }

    func measuredRoundTrip(to peer: UInt64, seconds: Double) {
        server.metrics.peerRoundTrip(to: peer, seconds: seconds)
    }

    func receivedRequest(kind: UInt8, payload: [UInt8], from: UInt64, reply: @escaping @Sendable (PeerReply) -> Void) {
        guard let kind = PeerRequestKind(rawValue: kind) else {
            reply(.failure("unknown peer request kind \(kind)"))
            return
        }
        // A member that does not know its ID yet (or was cut off) may only ask about membership.
        guard from != 0 || kind == .membership || kind == .removalCheck else {
            reply(.failure("peer request \(kind) needs a member ID"))
            return
        }
        do {
            switch kind {
            case .membership:
                var response = MemberListResponse()
                response.header = server.header(revision: nil)
                response.members = server.stateMachine.members.members
                reply(.success(response.protobuf()))
            case .leaseKeepAlive:
                let request = try LeaseKeepAliveRequest(protobuf: payload[...])
                server.renewLeaseAsLeader(request.id) { reply(Self.peerReply($0)) }
            case .leaseTimeToLive:
                let request = try LeaseTimeToLiveRequest(protobuf: payload[...])
                reply(Self.peerReply(server.leaseTimeToLiveAsLeader(request)))
            case .promoteMember:
                let request = try MemberPromoteRequest(protobuf: payload[...])
                server.promoteMemberAsLeader(request.id) { reply(Self.peerReply($0)) }
            case .removalCheck:
                guard payload.count == 8 else { throw LogRecoveryError("expected an 8-byte member ID") }
                let id = BigEndian.word(payload)
                reply(.success([server.stateMachine.members.wasRemoved(id) ? 1 : 0]))
            case .hashKV:
                let request = try HashKVRequest(protobuf: payload[...])
                reply(Self.peerReply(server.memberHashKV(at: request.revision)))
            }
        } catch {
            reply(.failure("undecodable \(kind) request: \(error)"))
        }
    }

    private static func peerReply<Response: ProtoMessage>(_ result: Result<Response, EtcdError>) -> PeerReply {
        switch result {
        case .success(let response): return .success(response.protobuf())
        case .failure(let error): return .failure(PeerErrorText.encode(error))
        }
    }
}

/// What one member may ask another over the peer port (the request's kind byte).
enum PeerRequestKind: UInt8, CustomStringConvertible {
    /// The cluster's members and ID (`MemberListResponse`), asked by a member that joins.
    case membership = 1
    /// Lease requests only the leader can answer (`LeaseKeepAliveRequest` → `LeaseKeepAliveResponse`).
    case leaseKeepAlive = 2
    case leaseTimeToLive = 3
    /// A learner's promotion, which only the leader can check (`MemberPromoteRequest` → `MemberPromoteResponse`).
    case promoteMember = 4
    /// Whether the member ID in the payload (8 bytes, big-endian) was removed: one byte, 1 if so.
    case removalCheck = 5
    /// The member's HashKV for the corruption checks (`HashKVRequest` → `HashKVResponse`).
    case hashKV = 6

    var description: String {
        switch self {
        case .membership: return "membership"
        case .leaseKeepAlive: return "lease keep-alive"
        case .leaseTimeToLive: return "lease time-to-live"
        case .promoteMember: return "member promotion"
        case .removalCheck: return "removal check"
        case .hashKV: return "hash kv"
        }
    }
}

/// An `EtcdError` carried in a peer reply as text: the gRPC code's number, a space, the message;
/// the member that forwarded the request answers its client with the same error.
enum PeerErrorText {
    static func encode(_ error: EtcdError) -> String {
        "\(error.code.rawValue) \(error.message)"
    }

    static func decode(_ text: String) -> EtcdError {
        guard let space = text.firstIndex(of: " "), let raw = Int(text[..<space]),
              let code = GRPCStatusCode(rawValue: raw) else {
            return EtcdError(code: .unavailable, message: text)
        }
        return EtcdError(code: code, message: String(text[text.index(after: space)...]))
    }
}
