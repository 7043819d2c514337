import EtcdWire
import NIOConcurrencyHelpers
import Raft

/// The members of the cluster as the applied log says: changed only by committed membership
/// changes and attribute updates (or a snapshot), in log order, by the apply loop; read by
/// any thread.
final class ClusterMembers: @unchecked Sendable {
    // `state` is guarded by `lock`.
    private let lock = NIOLock()
    private var state: MembershipState

    init(_ state: MembershipState) {
        self.state = state
    }

    /// Every current member, ordered by ID.
    var members: [Member] {
        lock.withLock { state.members.values.sorted { $0.id < $1.id } }
    }

    func member(_ id: UInt64) -> Member? {
        lock.withLock { state.members[id] }
    }

    func wasRemoved(_ id: UInt64) -> Bool {
        lock.withLock { state.removed.contains(id) }
    }

    var snapshot: MembershipState {
        lock.withLock { state }
    }

    func restore(_ newState: MembershipState) {
        lock.withLock { state = newState }
    }

    /// Applies a committed membership change carrying `member` (see `MembershipChange`).
    func apply(_ kind: ConfChange.Kind, member: Member) {
        lock.withLock {
            switch kind {
            case .addVoter, .addLearner:
                if var existing = state.members[member.id] {
                    // A learner's promotion (or a demotion) keeps everything else.
                    existing.isLearner = kind == .addLearner
                    state.members[member.id] = existing
                } else {
                    var added = member
                    added.isLearner = kind == .addLearner
                    state.members[member.id] = added
                }
            case .removeNode:
                state.members[member.id] = nil
                state.removed.insert(member.id)
            case .updateNode:
                state.members[member.id]?.peerURLs = member.peerURLs
            }
        }
    }

    /// A member published its name and client URLs after starting.
    func updateAttributes(of id: UInt64, name: String, clientURLs: [String]) {
        lock.withLock {
            state.members[id]?.name = name
            state.members[id]?.clientURLs = clientURLs
        }
    }
}

/// Who is in the cluster, and who was removed (a removed ID may never come back: its traffic
/// is refused and it cannot be re-added).
struct MembershipState: Hashable, Sendable {
    var members: [UInt64: Member]
    var removed: Set<UInt64>

    init(members: [Member], removed: Set<UInt64> = []) {
        self.members = Dictionary(members.map { ($0.id, $0) }) { first, _ in first }
        self.removed = removed
    }

    var confState: ConfState {
        ConfState(voters: members.values.filter { !$0.isLearner }.map(\.id).sorted(),
                  learners: members.values.filter(\.isLearner).map(\.id).sorted())
    }
}
