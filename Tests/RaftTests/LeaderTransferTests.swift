import XCTest
@testable import Raft

/// Leadership transfer (Raft thesis §3.10).
final class LeaderTransferTests: XCTestCase {
    func testTransferToUpToDateFollowerIsImmediate() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try network[1].raw.transferLeadership(to: 2)
        network.stabilize()
        XCTAssertEqual(network.leaders, [2])
        XCTAssertEqual(network[1].node.leader, 2)
        XCTAssertEqual(network[2].term, 2)
    }

    func testTransferCatchesUpALaggingTransfereeFirst() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(3)
        try network.propose(1, "3 misses this")
        network.heal()
        try network[1].raw.transferLeadership(to: 3)
        XCTAssertThrowsError(try network[1].raw.propose([1])) {
            XCTAssertEqual($0 as? RaftError, .leaderTransferInProgress)
        }
        network.stabilize()
        XCTAssertEqual(network.leaders, [3])
        XCTAssertEqual(network[3].applied.strings, ["3 misses this"])
    }

    func testTransferOverridesCheckQuorumLease() throws {
        let network = TestNetwork(voters: [1, 2, 3]) { $0.checkQuorum = true; $0.preVote = true }
        network.campaign(1)
        network.tickAll(3)
        try network[1].raw.transferLeadership(to: 3)
        network.stabilize()
        XCTAssertEqual(network.leaders, [3])
    }

    func testTransferIsAbortedAfterAnElectionTimeout() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(3)
        try network[1].raw.transferLeadership(to: 3)
        XCTAssertEqual(network[1].raw.status.leadTransferee, 3)
        network.tick(1, 10)
        XCTAssertNil(network[1].raw.status.leadTransferee)
        XCTAssertEqual(network.leaders, [1])
        try network.propose(1, "accepted again")
    }

    func testTransferToLearnerOrStrangerIsRefused() {
        let network = TestNetwork(voters: [1, 2], learners: [3])
        network.campaign(1)
        for target in [3, 9] as [UInt64] {
            XCTAssertThrowsError(try network[1].raw.transferLeadership(to: target)) {
                XCTAssertEqual($0 as? RaftError, .transfereeNotVoter)
            }
        }
    }

    func testOnlyTheLeaderTransfers() {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        XCTAssertThrowsError(try network[2].raw.transferLeadership(to: 3)) {
            XCTAssertEqual($0 as? RaftError, .notLeader)
        }
    }

    func testTransferToSelfIsANoOp() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try network[1].raw.transferLeadership(to: 1)
        XCTAssertNil(network[1].raw.status.leadTransferee)
        XCTAssertEqual(network.leaders, [1])
    }
}
