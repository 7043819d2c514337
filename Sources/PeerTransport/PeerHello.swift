import NIOCore

/// Which of the three kinds of connection a dialler opens (docs/peer-protocol.md, "Channels").
enum PeerChannelKind: UInt8, Sendable, CustomStringConvertible {
    /// Long-lived, one per ordered pair of members: raft messages, pings, requests.
    case messages = 1
    /// One per snapshot, closed once it is acknowledged.
    case snapshot = 2
    /// Requests from a dialler that may not know its own member ID or the cluster ID yet.
    case anonymousRequest = 3

    var description: String {
        switch self {
        case .messages: return "message"
        case .snapshot: return "snapshot"
        case .anonymousRequest: return "anonymous request"
        }
    }
}

/// The first bytes a dialler sends: who it is, who it wants, and what the connection is for.
struct PeerHello: Sendable, Equatable {
    static let magic: [UInt8] = Array("SEPT".utf8)
    static let version: UInt16 = 1
    /// Magic, version, body length.
    static let preambleBytes = 8
    /// Kind, cluster ID, sender ID, receiver ID.
    static let bodyBytes = 25

    var kind: PeerChannelKind
    var clusterID: UInt64
    var senderID: UInt64
    var receiverID: UInt64

    /// Why a receiver that is member `localID` of cluster `clusterID` refuses this hello, or nil.
    func refusal(localID: UInt64, clusterID localCluster: UInt64, isCurrentPeer: (UInt64) -> Bool) -> String? {
        let anonymous = kind == .anonymousRequest
        if clusterID != localCluster && !(anonymous && clusterID == 0) {
            return "cluster ID mismatch (local \(memberHex(localCluster)), remote \(memberHex(clusterID)))"
        }
        if receiverID != localID && !(anonymous && receiverID == 0) {
            return "addressed to member \(memberHex(receiverID)), but this is member \(memberHex(localID))"
        }
        if !anonymous && !isCurrentPeer(senderID) {
            return "member \(memberHex(senderID)) is not a current member of this cluster"
        }
        return nil
    }
}

/// What the receiver made of a dialler's first bytes.
enum PeerGreeting: Sendable, Equatable {
    case hello(PeerHello)
    /// Understood enough to answer, not enough to serve; carries the reason sent back.
    case unsupported(String)

    /// Takes the greeting off the front of `buffer`, or nil (buffer untouched) while incomplete.
    static func read(from buffer: inout ByteBuffer) throws(PeerProtocolError) -> PeerGreeting? {
        let start = buffer.readerIndex
        guard let magic = buffer.getBytes(at: start, length: PeerHello.magic.count) else {
            // Refuse a stranger (an HTTP client, say) as soon as its first bytes differ.
            if let prefix = buffer.getBytes(at: start, length: buffer.readableBytes),
               !PeerHello.magic.starts(with: prefix) {
                throw .notAPeer
            }
            return nil
        }
        guard magic == PeerHello.magic else {
            throw .notAPeer
        }
        guard let version = buffer.getInteger(at: start + 4, as: UInt16.self),
              let bodyLength = buffer.getInteger(at: start + 6, as: UInt16.self),
              var body = buffer.getSlice(at: start + PeerHello.preambleBytes, length: Int(bodyLength)) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: PeerHello.preambleBytes + Int(bodyLength))
        guard version == PeerHello.version else {
            return .unsupported("unsupported peer protocol version \(version) (this member speaks \(PeerHello.version))")
        }
        // Later fields a newer minor revision might append are ignored.
        guard let rawKind = body.readInteger(as: UInt8.self),
              let clusterID = body.readInteger(as: UInt64.self),
              let senderID = body.readInteger(as: UInt64.self),
              let receiverID = body.readInteger(as: UInt64.self) else {
            throw .malformed("hello")
        }
        guard let kind = PeerChannelKind(rawValue: rawKind) else {
            return .unsupported("unknown channel kind \(rawKind)")
        }
        return .hello(PeerHello(kind: kind, clusterID: clusterID, senderID: senderID, receiverID: receiverID))
    }
}

extension ByteBuffer {
    mutating func writePeerHello(_ hello: PeerHello) {
        writeBytes(PeerHello.magic)
        writeInteger(PeerHello.version)
        writeInteger(UInt16(PeerHello.bodyBytes))
        writeInteger(hello.kind.rawValue)
        writeInteger(hello.clusterID)
        writeInteger(hello.senderID)
        writeInteger(hello.receiverID)
    }
}
