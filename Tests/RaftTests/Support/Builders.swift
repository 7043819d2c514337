@testable import Raft

/// A storage holding the founding membership and then entries with the given terms at
/// indexes 2, 3, …, for tests that start from a particular log.
func storage(voters: [UInt64], learners: [UInt64] = [], terms: [UInt64], hardState: HardState? = nil) -> MemoryStorage {
    let storage = MemoryStorage()
    try! storage.applySnapshot(.bootstrap(ConfState(voters: voters, learners: learners)))
    storage.append(terms.enumerated().map { Entry(term: $1, index: UInt64($0) + 2, data: Array("t\($1)".utf8)) })
    if let hardState { storage.setHardState(hardState) }
    return storage
}

/// A single node for tests that drive it message by message.
func makeNode(id: UInt64 = 1, voters: [UInt64] = [1, 2, 3], learners: [UInt64] = [], terms: [UInt64] = [],
              hardState: HardState? = nil, configure: (inout RaftConfig) -> Void = { _ in }) -> TestNode {
    var config = RaftConfig(id: id, electionTick: 10, heartbeatTick: 1)
    configure(&config)
    return TestNode(id: id, storage: storage(voters: voters, learners: learners, terms: terms, hardState: hardState),
                    config: config, seed: id)
}

/// Entries with the given terms starting at `index`.
func entries(from index: UInt64, terms: [UInt64]) -> [Entry] {
    terms.enumerated().map { Entry(term: $1, index: index + UInt64($0), data: Array("t\($1)".utf8)) }
}

extension TestNode {
    /// Steps a message and returns what the node sends in answer.
    func receive(_ message: Message) -> [Message] {
        try? raw.step(message)
        return handleReady()
    }

    /// Ticks until the node campaigns (at most two election timeouts) and returns its messages.
    func tickUntilCampaign() -> [Message] {
        var sent: [Message] = []
        for _ in 0..<(2 * config.electionTick) where role == .follower {
            raw.tick()
            sent += handleReady()
        }
        return sent
    }

    /// Makes this node leader of a cluster whose other voters all grant their votes.
    func electSelf() {
        raw.campaign()
        var pending = handleReady()
        while let request = pending.first(where: { $0.type == .preVote || $0.type == .vote }) {
            pending.removeAll { $0 == request }
            let grantType: MessageType = request.type == .vote ? .voteResp : .preVoteResp
            pending += receive(Message(type: grantType, to: id, from: request.to, term: request.term))
        }
        precondition(role == .leader, "node \(id) did not win")
    }
}
