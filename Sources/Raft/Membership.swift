/// Who votes and who only learns, as of the last membership change this node applied.
/// Ids are kept sorted so that every walk over members (broadcasts, elections) happens in the
/// same order on every run.
struct Membership: Hashable, Sendable {
    private(set) var voters: [UInt64]
    private(set) var learners: [UInt64]

    init(_ confState: ConfState) {
        voters = Array(Set(confState.voters)).sorted()
        learners = Array(Set(confState.learners).subtracting(confState.voters)).sorted()
    }

    var confState: ConfState {
        ConfState(voters: voters, learners: learners)
    }

    /// Every member, voters first.
    var members: [UInt64] { voters + learners }

    var quorum: Int { voters.count / 2 + 1 }

    func isVoter(_ id: UInt64) -> Bool { voters.contains(id) }

    func isLearner(_ id: UInt64) -> Bool { learners.contains(id) }

    func contains(_ id: UInt64) -> Bool { isVoter(id) || isLearner(id) }

    /// Adds `id` as a voter, promoting it if it was a learner.
    mutating func addVoter(_ id: UInt64) {
        learners.removeAll { $0 == id }
        insertSorted(id, into: &voters)
    }

    /// Adds `id` as a learner, demoting it if it was a voter.
    mutating func addLearner(_ id: UInt64) {
        voters.removeAll { $0 == id }
        insertSorted(id, into: &learners)
    }

    mutating func remove(_ id: UInt64) {
        voters.removeAll { $0 == id }
        learners.removeAll { $0 == id }
    }

    private func insertSorted(_ id: UInt64, into ids: inout [UInt64]) {
        guard !ids.contains(id) else { return }
        ids.insert(id, at: ids.firstIndex { $0 > id } ?? ids.endIndex)
    }

    /// The highest index that a quorum of voters has, given each voter's match index.
    func committedIndex(match: (UInt64) -> UInt64) -> UInt64 {
        guard !voters.isEmpty else { return 0 }
        let matches = voters.map(match).sorted(by: >)
        return matches[quorum - 1]
    }

    /// The outcome of an election so far, counting only voters' answers.
    func tally(_ votes: [UInt64: Bool]) -> VoteResult {
        var granted = 0
        var rejected = 0
        for voter in voters {
            switch votes[voter] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        if granted >= quorum { return .won }
        if voters.count - rejected < quorum { return .lost }
        return .pending
    }
}

enum VoteResult: Hashable, Sendable {
    case won
    case lost
    case pending
}
