/// A single-member change to the configuration, carried in a `.confChange` entry and applied
/// with `RawNode.applyConfChange(_:)` once that entry is committed.
public struct ConfChange: Hashable, Sendable {
    /// Raw values match etcd's ConfChangeType.
    public enum Kind: UInt8, Hashable, Sendable {
        /// Add a voter, or promote a learner to voter.
        case addVoter = 0
        case removeNode = 1
        /// Membership is unchanged; the server uses it to change a member's attributes.
        case updateNode = 2
        /// Add a learner (or demote a voter to learner).
        case addLearner = 3
    }

    public var kind: Kind
    public var nodeID: UInt64
    /// Opaque to Raft; the server stores member attributes and request ids here.
    public var context: [UInt8]

    public init(kind: Kind, nodeID: UInt64, context: [UInt8] = []) {
        self.kind = kind
        self.nodeID = nodeID
        self.context = context
    }
}
