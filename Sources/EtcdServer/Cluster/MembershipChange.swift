import EtcdWire
import Raft

/// A membership change as the server proposes it: the Raft change plus the member it is about.
/// The change's context carries the proposing request's ID (8 bytes, big-endian, so the
/// proposer can answer its client) and the member's `Member` protobuf (ID, peer URLs, learner
/// flag; a removal carries only the ID).
struct MembershipChange: Hashable {
    var requestID: UInt64
    var kind: ConfChange.Kind
    var member: Member

    var confChange: ConfChange {
        var context = BigEndian.bytes(requestID)
        context.append(contentsOf: member.protobuf())
        return ConfChange(kind: kind, nodeID: member.id, context: context)
    }

    init(requestID: UInt64, kind: ConfChange.Kind, member: Member) {
        self.requestID = requestID
        self.kind = kind
        self.member = member
    }

    init(_ change: ConfChange) throws {
        guard change.context.count >= 8 else {
            throw LogRecoveryError("membership change for \(String(change.nodeID, radix: 16)) has a context of \(change.context.count) bytes")
        }
        requestID = BigEndian.word(change.context)
        kind = change.kind
        member = try Member(protobuf: change.context[8...])
        member.id = change.nodeID
    }
}
