/// Called on transport event loops; implementations must not block.
public protocol PeerTransportHandler: AnyObject, Sendable {
    /// A raft message from member `from` (already checked: same cluster, addressed to us, sender is a current peer).
    func receivedMessage(_ bytes: [UInt8], from: UInt64)
    /// A snapshot message (sent with sendSnapshot) from `from`.
    func receivedSnapshot(_ bytes: [UInt8], from: UInt64)
    /// A request from member `from` (0 when the sender does not know its ID yet: a member that is joining
    /// and asks for the membership). Call `reply` exactly once, from any thread.
    func receivedRequest(kind: UInt8, payload: [UInt8], from: UInt64, reply: @escaping @Sendable (PeerReply) -> Void)
    /// Messages to `peer` could not be delivered (connection failed/dropped, queue overflow).
    func peerUnreachable(_ peer: UInt64)
    /// A measured round trip to `peer` (from a periodic ping on the message channel), in seconds.
    func measuredRoundTrip(to peer: UInt64, seconds: Double)
}

public enum PeerReply: Sendable {
    case success([UInt8])
    /// Carried back to the requester as `PeerTransportError.remote(message)`.
    case failure(String)
}

public enum PeerTransportError: Error, Sendable, Equatable {
    case unknownPeer(UInt64)
    case unreachable(UInt64)
    case timedOut
    case remote(String)
    /// The handshake was refused (wrong cluster, unknown member, ...); carries the receiver's reason.
    case rejected(String)
    case frameTooLarge(Int)
    case shutDown
    /// A peer URL that is not `http://host:port` (https is not supported yet).
    case invalidURL(String)
}
