/// Why the Raft core refused a request. The server maps each case to the error a client sees
/// (for example, `noLeader` and `leaderTransferInProgress` become etcd's "no leader" and
/// "leader changed"); none of them means local state was damaged.
public enum RaftError: Error, Hashable, Sendable {
    /// No leader is known in the current term, so a proposal or read cannot be routed.
    case noLeader
    /// Leadership is being handed over; proposals are refused until the transfer ends so the
    /// new leader does not have to catch up on entries appended meanwhile.
    case leaderTransferInProgress
    /// This member is not (or no longer) part of the configuration.
    case notInConfiguration
    /// The leader's own removal (or demotion) is in its log: it takes no more proposals, so
    /// that its log never runs ahead of the voters that will carry on without it.
    case leaderBeingRemoved
    /// The request only makes sense on the leader (for example, starting a leader transfer).
    case notLeader
    /// Another membership change is in the log and not yet applied; only one may be pending.
    case confChangePending
    /// The data of a proposed `.confChange` entry does not decode as a `ConfChange`.
    case invalidConfChange
    /// The membership change would leave no voter, and a cluster without voters cannot elect.
    case confChangeRemovesLastVoter
    /// The leader cannot hand leadership to a learner or to a member it does not know.
    case transfereeNotVoter
    /// A message type that only the local node may create (tick-driven or reported by the
    /// transport) arrived from the network.
    case localMessageFromNetwork(MessageType)
}
