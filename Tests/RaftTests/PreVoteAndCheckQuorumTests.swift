import XCTest
@testable import Raft

/// Raft thesis §9.6 (pre-vote) and §6.2 (check-quorum and leader leases against disruption).
final class PreVoteAndCheckQuorumTests: XCTestCase {
    func testPreCandidateDoesNotRaiseItsTerm() {
        let node = makeNode { $0.preVote = true }
        let sent = node.tickUntilCampaign()
        XCTAssertEqual(node.role, .preCandidate)
        XCTAssertEqual(node.term, 0, "pre-vote asks about term 1 without entering it")
        XCTAssertEqual(node.node.vote, 0)
        XCTAssertEqual(Set(sent.map(\.type)), [.preVote])
        XCTAssertTrue(sent.allSatisfy { $0.term == 1 })
    }

    func testPreCandidateBecomesCandidateAfterPreVoteQuorum() {
        let node = makeNode { $0.preVote = true }
        node.raw.campaign()
        _ = node.handleReady()
        let sent = node.receive(Message(type: .preVoteResp, to: 1, from: 2, term: 1))
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, 1)
        XCTAssertEqual(Set(sent.filter { $0.type == .vote }.map(\.to)), [2, 3])
    }

    func testPreVoteDoesNotChangeTheVotersTermOrVote() {
        let node = makeNode(hardState: HardState(term: 2, vote: 3, commit: 0)) { $0.preVote = true }
        let answers = node.receive(Message(type: .preVote, to: 1, from: 2, term: 3, logTerm: 1, index: 1))
        XCTAssertEqual(answers.first?.type, .preVoteResp)
        XCTAssertEqual(answers.first?.reject, false)
        XCTAssertEqual(answers.first?.term, 3, "granted at the term asked about")
        XCTAssertEqual(node.term, 2)
        XCTAssertEqual(node.node.vote, 3)
    }

    func testPreVoteDoesNotDisruptAWorkingLeader() throws {
        let network = TestNetwork(voters: [1, 2, 3]) { $0.preVote = true }
        network.campaign(1)
        let term = network[1].term
        // Node 3 is cut off long enough to time out many times, and misses a write.
        network.isolate(3)
        try network.propose(1, "while away")
        network.tick(3, 100)
        XCTAssertEqual(network[3].term, term, "pre-votes fail without raising the term")
        network.heal()
        network.tickAll(30)
        XCTAssertEqual(network.leaders, [1])
        XCTAssertEqual(network[1].term, term)
        XCTAssertEqual(network[3].applied.strings, ["while away"])
    }

    func testWithoutPreVoteAReturningMemberDisruptsTheLeader() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(3)
        try network.propose(1, "while away")
        network.tick(3, 100)
        XCTAssertGreaterThan(network[3].term, 1)
        network.heal()
        network.tickAll(30)
        XCTAssertGreaterThan(network[1].term, 1, "the returning member's higher term forced a new election")
        XCTAssertEqual(network[3].applied.strings, ["while away"])
    }

    func testLeaderStepsDownWhenQuorumIsNotActive() {
        let network = TestNetwork(voters: [1, 2, 3]) { $0.checkQuorum = true }
        network.campaign(1)
        network.isolate(1)
        network.tick(1, 9)
        XCTAssertEqual(network[1].role, .leader)
        network.tick(1, 11)
        XCTAssertEqual(network[1].role, .follower, "no voter heard from within two quorum checks")
    }

    func testLeaderWithActiveQuorumStaysLeader() {
        let network = TestNetwork(voters: [1, 2, 3]) { $0.checkQuorum = true }
        network.campaign(1)
        network.cut(1, 3)
        network.tick(1, 50)
        XCTAssertEqual(network[1].role, .leader)
    }

    func testMemberInLeaseIgnoresVoteRequests() {
        let node = makeNode { $0.checkQuorum = true }
        _ = node.receive(Message(type: .heartbeat, to: 1, from: 2, term: 1))
        let answers = node.receive(Message(type: .vote, to: 1, from: 3, term: 2, logTerm: 5, index: 9))
        XCTAssertTrue(answers.isEmpty, "heard from leader 2 within the election timeout")
        XCTAssertEqual(node.term, 1)
    }

    func testLeaderTransferVoteOverridesLease() {
        let node = makeNode { $0.checkQuorum = true }
        _ = node.receive(Message(type: .heartbeat, to: 1, from: 2, term: 1))
        let answers = node.receive(Message(type: .vote, to: 1, from: 3, term: 2, logTerm: 5, index: 9,
                                           context: Message.leaderTransferContext))
        XCTAssertEqual(answers.first?.reject, false)
        XCTAssertEqual(node.term, 2)
    }

    func testStaleLeaderLearnsHigherTermFromAppendResponse() {
        let node = makeNode(hardState: HardState(term: 5, vote: 0, commit: 0)) { $0.checkQuorum = true }
        let answers = node.receive(Message(type: .app, to: 1, from: 2, term: 3, logTerm: 1, index: 1))
        XCTAssertEqual(answers.map(\.type), [.appResp])
        XCTAssertEqual(answers.first?.term, 5)
    }
}
