import XCTest
@testable import Raft

/// Linearizable reads through the read index (Raft thesis §6.4).
final class ReadIndexTests: XCTestCase {
    private let context = Array("read-1".utf8)

    func testSingleVoterAnswersAtOnce() throws {
        let network = TestNetwork(voters: [1])
        network.campaign(1)
        try network.propose(1, "x")
        try network[1].raw.readIndex(context: context)
        network.stabilize()
        XCTAssertEqual(network[1].readStates, [ReadState(index: 3, context: context)])
    }

    func testLeaderAnswersOnlyAfterAQuorumConfirmsItsLeadership() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(1)
        try network[1].raw.readIndex(context: context)
        network.stabilize()
        XCTAssertEqual(network[1].readStates, [], "no quorum has confirmed")
        network.heal()
        network.tick(1)  // The periodic heartbeat retries the round.
        XCTAssertEqual(network[1].readStates, [ReadState(index: 2, context: context)])
    }

    func testConcurrentReadsShareOneConfirmationRound() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.clearTrace()
        // Nothing is delivered while the reads arrive, so they overlap.
        for n in 0..<50 {
            try network[1].raw.readIndex(context: [UInt8(n)])
        }
        network.stabilize()
        XCTAssertEqual(network[1].readStates.count, 50)
        XCTAssertEqual(Set(network[1].readStates.map(\.index)), [2])
        let heartbeats = network.trace.filter { $0.type == .heartbeat }
        XCTAssertEqual(heartbeats.count, 2, "one round (a heartbeat per follower) for all fifty reads")
    }

    func testReadsArrivingDuringARoundJoinTheNextOne() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try network[1].raw.readIndex(context: [1])
        let firstRound = network[1].handleReady()
        try network[1].raw.readIndex(context: [2])
        try network[1].raw.readIndex(context: [3])
        XCTAssertEqual(network[1].handleReady(), [], "no new round while one is in flight")
        network.clearTrace()
        for message in firstRound { try network[message.to].raw.step(message) }
        network.stabilize()
        XCTAssertEqual(network[1].readStates.map(\.context), [[1], [2], [3]])
        XCTAssertEqual(network.trace.filter { $0.type == .heartbeat }.count, 2, "one more round for both")
    }

    func testFollowerReadIsForwardedToTheLeader() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try network.propose(1, "x")
        try network[2].raw.readIndex(context: context)
        network.stabilize()
        XCTAssertEqual(network[2].readStates, [ReadState(index: 3, context: context)])
        XCTAssertEqual(network[1].readStates, [])
    }

    func testNewLeaderDefersReadsUntilItCommitsAnEntryOfItsTerm() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.drop(.appResp)
        network.campaign(2)
        XCTAssertEqual(network.leaders, [2])
        XCTAssertEqual(network[2].log.committed, 2, "its new-term entry at 3 is not committed")
        try network[2].raw.readIndex(context: context)
        network.stabilize()
        XCTAssertEqual(network[2].readStates, [], "its commit index may be stale")
        network.heal()
        network.tick(2)
        XCTAssertEqual(network[2].readStates, [ReadState(index: 3, context: context)])
    }

    func testReadWithoutLeaderFails() {
        let node = makeNode()
        XCTAssertThrowsError(try node.raw.readIndex(context: context)) {
            XCTAssertEqual($0 as? RaftError, .noLeader)
        }
    }

    func testDeposedLeaderCannotCompleteARound() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(1)
        try network[1].raw.readIndex(context: context)
        network.campaign(2)
        network.heal()
        network.tickAll(1)
        XCTAssertEqual(network[1].readStates, [])
        XCTAssertEqual(network[1].role, .follower)
    }
}
