import XCTest
@testable import Raft

/// Single-member configuration changes (Raft thesis §4.1), learners and learner promotion.
final class MembershipTests: XCTestCase {
    private func change(_ network: TestNetwork, on leader: UInt64, _ kind: ConfChange.Kind, _ id: UInt64) throws {
        try network[leader].raw.proposeConfChange(ConfChange(kind: kind, nodeID: id))
        network.stabilize()
    }

    func testLearnerDoesNotCampaign() {
        let node = makeNode(id: 4, voters: [1, 2, 3], learners: [4])
        for _ in 0..<100 {
            node.raw.tick()
            _ = node.handleReady()
        }
        XCTAssertEqual(node.role, .follower)
        XCTAssertEqual(node.term, 0)
    }

    func testLearnersDoNotCountTowardsElectionQuorum() {
        // Voters {1, 2}, learners {3, 4}: the learners' grants do not make 1 win.
        let node = makeNode(id: 1, voters: [1, 2], learners: [3, 4])
        node.raw.campaign()
        _ = node.handleReady()
        _ = node.receive(Message(type: .voteResp, to: 1, from: 3, term: 1))
        _ = node.receive(Message(type: .voteResp, to: 1, from: 4, term: 1))
        XCTAssertEqual(node.role, .candidate)
        _ = node.receive(Message(type: .voteResp, to: 1, from: 2, term: 1))
        XCTAssertEqual(node.role, .leader)
    }

    func testLearnersDoNotCountTowardsCommitQuorum() throws {
        let network = TestNetwork(voters: [1, 2], learners: [3, 4])
        network.campaign(1)
        network.cut(1, 2)
        try network.propose(1, "x")
        XCTAssertEqual(network[1].log.committed, 2, "two learners hold it, but only one of two voters")
        XCTAssertEqual(network[3].log.lastIndex, 3, "learners still receive entries")
    }

    func testCandidateDoesNotAskLearnersForVotes() {
        let node = makeNode(id: 1, voters: [1, 2, 3], learners: [4])
        node.raw.campaign()
        XCTAssertEqual(node.handleReady().filter { $0.type == .vote }.map(\.to).sorted(), [2, 3])
    }

    func testAddLearnerThenPromoteIt() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.add(id: 4)
        network.campaign(1)
        try network.propose(1, "before")
        try change(network, on: 1, .addLearner, 4)
        XCTAssertEqual(network[1].raw.status.confState, ConfState(voters: [1, 2, 3], learners: [4]))
        XCTAssertEqual(network[4].applied.strings, ["before"], "the joining learner caught up from the log")
        XCTAssertEqual(network[4].role, .follower)
        try change(network, on: 1, .addVoter, 4)
        XCTAssertEqual(network[4].raw.status.confState, ConfState(voters: [1, 2, 3, 4], learners: []))
        // As a voter it can now win an election.
        network.campaign(4)
        XCTAssertEqual(network.leaders, [4])
    }

    func testOnlyOneConfChangeMayBePending() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.add(id: 4)
        network.add(id: 5)
        network.campaign(1)
        network.isolate(1)
        try network[1].raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 4))
        XCTAssertThrowsError(try network[1].raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 5))) {
            XCTAssertEqual($0 as? RaftError, .confChangePending)
        }
        network.heal()
        network.stabilize()
        try network[1].raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 5))
    }

    func testNewLeaderRefusesConfChangesUntilItHasAppliedItsLog() throws {
        // An earlier leader's change may sit unapplied in the new leader's log.
        let leader = makeNode(id: 1, voters: [1, 2, 3], terms: [1, 1])
        leader.electSelf()
        XCTAssertEqual(leader.node.leaderState?.pendingConfIndex, 3)
        XCTAssertThrowsError(try leader.raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 4))) {
            XCTAssertEqual($0 as? RaftError, .confChangePending)
        }
        _ = leader.receive(Message(type: .appResp, to: 1, from: 2, term: leader.term, index: 4))
        XCTAssertEqual(leader.node.log.applied, 4)
        try leader.raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 4))
    }

    func testRemovingTheLastVoterIsRefused() {
        let network = TestNetwork(voters: [1], learners: [2])
        network.campaign(1)
        XCTAssertThrowsError(try network[1].raw.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 1))) {
            XCTAssertEqual($0 as? RaftError, .confChangeRemovesLastVoter)
        }
        XCTAssertThrowsError(try network[1].raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 1))) {
            XCTAssertEqual($0 as? RaftError, .confChangeRemovesLastVoter)
        }
    }

    func testUndecodableConfChangeIsRefused() {
        let node = makeNode(voters: [1])
        node.electSelf()
        let message = Message(type: .prop, from: 1, entries: [Entry(term: 0, index: 0, type: .confChange, data: [0xFF])])
        XCTAssertThrowsError(try node.raw.step(message)) { XCTAssertEqual($0 as? RaftError, .invalidConfChange) }
    }

    func testRemovingAVoterShrinksTheQuorum() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try change(network, on: 1, .removeNode, 3)
        network.isolate(3)
        network.cut(1, 2)
        try network.propose(1, "needs 2 of 2")
        XCTAssertEqual(network[1].applied, [])
        network.heal()
        network.isolate(3)
        network.tick(1)
        XCTAssertEqual(network[1].applied.strings, ["needs 2 of 2"])
    }

    func testApplyingARemovalCanCommitPendingEntries() throws {
        // Voters {1, 2, 3, 4}: an entry held by 1 and 2 is not on a majority. Once the removal
        // of 4 applies, 1 and 2 are a majority of {1, 2, 3} and the entry commits.
        let leader = makeNode(id: 1, voters: [1, 2, 3, 4])
        leader.electSelf()
        try leader.raw.propose(Array("x".utf8))
        _ = leader.handleReady()
        _ = leader.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: 3))
        XCTAssertEqual(leader.log.committed, 1)
        leader.raw.applyConfChange(ConfChange(kind: .removeNode, nodeID: 4))
        XCTAssertEqual(leader.log.committed, 3)
    }

    func testRemovedLeaderHandsLeadershipToTheMostUpToDateVoter() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.cut(1, 3)
        try change(network, on: 1, .removeNode, 1)
        XCTAssertEqual(network.leaders, [2], "2 holds the whole log; 3 missed the change")
        XCTAssertEqual(network[1].role, .follower)
        XCTAssertEqual(network[2].raw.status.confState.voters, [2, 3])
        network.heal()
        try network.propose(2, "after hand-off")
        XCTAssertEqual(network[3].applied.strings, ["after hand-off"])
    }

    func testLeaderBeingRemovedTakesNoMoreProposals() throws {
        // Its log must not run ahead of the voter that carries on without it: that voter may
        // still need its vote, which it would refuse to a shorter log.
        let leader = makeNode(id: 1, voters: [1, 2])
        leader.electSelf()
        _ = leader.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: 2))
        try leader.raw.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 1))  // index 3
        XCTAssertThrowsError(try leader.raw.propose([1])) {
            XCTAssertEqual($0 as? RaftError, .leaderBeingRemoved)
        }
        _ = leader.handleReady()
        let sent = leader.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: 3))
        XCTAssertEqual(leader.raw.status.confState.voters, [2])
        XCTAssertEqual(sent.filter { $0.type == .timeoutNow }.map(\.to), [2], "2 holds the whole log: hand over now")
        XCTAssertEqual(leader.role, .follower)
    }

    func testNewLeaderInheritingItsOwnRemovalTakesNoProposals() throws {
        let storage = storage(voters: [1, 2, 3], terms: [])
        storage.append([Entry(term: 1, index: 2, type: .confChange, data: ConfChange(kind: .removeNode, nodeID: 1).encode())])
        let leader = TestNode(id: 1, storage: storage, config: RaftConfig(id: 1), seed: 1)
        leader.electSelf()
        XCTAssertEqual(leader.node.leaderState?.ownRemovalIndex, 2)
        XCTAssertThrowsError(try leader.raw.propose([1])) {
            XCTAssertEqual($0 as? RaftError, .leaderBeingRemoved)
        }
    }

    func testRemovedVoterCanBeAddedBack() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try change(network, on: 1, .removeNode, 3)
        try network.propose(1, "while removed")
        XCTAssertEqual(network[3].applied, [], "no longer replicated to")
        try change(network, on: 1, .addVoter, 3)
        XCTAssertEqual(network[3].applied.strings, ["while removed"])
        XCTAssertEqual(network[3].raw.status.confState.voters, [1, 2, 3])
    }

    func testMemberWithUnappliedConfChangeDoesNotCampaign() {
        // The committed change at index 2 is not applied yet (applied is 1).
        let storage = storage(voters: [1, 2, 3], terms: [], hardState: HardState(term: 1, vote: 0, commit: 2))
        storage.append([Entry(term: 1, index: 2, type: .confChange,
                              data: ConfChange(kind: .removeNode, nodeID: 3).encode())])
        storage.setHardState(HardState(term: 1, vote: 0, commit: 2))
        let raw = RawNode(config: RaftConfig(id: 1), storage: storage, random: SplitMix64(seed: 1))
        raw.campaign()
        XCTAssertEqual(raw.status.role, .follower)
        let ready = raw.ready()
        XCTAssertEqual(ready.committedEntries.map(\.type), [.confChange])
        raw.applyConfChange(ConfChange(kind: .removeNode, nodeID: 3))
        raw.advance(ready)
        raw.campaign()
        XCTAssertEqual(raw.status.role, .candidate)
    }
}
