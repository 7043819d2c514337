import XCTest
@testable import Raft

/// Catching up a member whose entries the leader has compacted away.
final class SnapshotTests: XCTestCase {
    /// A cluster where 3 missed entries that 1 then compacted.
    private func clusterWithCompactedLeader() throws -> TestNetwork {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(3)
        for n in 0..<5 { try network.propose(1, "e\(n)") }
        let applied = network[1].raw.status.applied
        try network[1].storage.createSnapshot(at: applied, confState: ConfState(voters: [1, 2, 3]),
                                              data: Array("state".utf8))
        try network[1].storage.compact(through: applied)
        return network
    }

    func testLeaderSendsSnapshotToMemberBehindItsFirstIndex() throws {
        let network = try clusterWithCompactedLeader()
        network.heal()
        network.clearTrace()
        network.tick(1)
        let snapshots = network.trace.filter { $0.type == .snap }
        XCTAssertEqual(snapshots.count, 1)
        XCTAssertEqual(snapshots.first?.snapshot?.metadata.index, 7)
        XCTAssertEqual(network[3].storage.firstIndex, 8)
        XCTAssertEqual(network[3].log.committed, 7)
    }

    func testMemberResumesReplicationAfterTheSnapshot() throws {
        let network = try clusterWithCompactedLeader()
        network.heal()
        network.tick(1)
        network[1].raw.reportSnapshot(to: 3, status: .finished)
        try network.propose(1, "after")
        XCTAssertEqual(network[3].applied.strings, ["after"])
        XCTAssertEqual(network[1].node.leaderState?.progress[3]?.state, .replicate)
    }

    func testFailedSnapshotFallsBackToProbing() throws {
        let network = try clusterWithCompactedLeader()
        network.heal()
        network.drop(.snap)
        network.tick(1)
        guard case .snapshot(pendingIndex: 7)? = network[1].node.leaderState?.progress[3]?.state else {
            return XCTFail("expected a pending snapshot, got \(String(describing: network[1].node.leaderState?.progress[3]?.state))")
        }
        network[1].raw.reportSnapshot(to: 3, status: .failed)
        XCTAssertEqual(network[1].node.leaderState?.progress[3]?.state, .probe)
        XCTAssertEqual(network[1].node.leaderState?.progress[3]?.next, 3, "probe from its match")
        network.heal()
        network.tick(1)
        XCTAssertEqual(network[3].log.committed, 7, "the next attempt succeeds")
    }

    func testSnapshotAtOrBelowCommitIsIgnored() {
        let node = makeNode(terms: [1, 1, 1], hardState: HardState(term: 1, vote: 0, commit: 3))
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 3, term: 1, confState: ConfState(voters: [1, 2, 3])))
        let answers = node.receive(Message(type: .snap, to: 1, from: 2, term: 1, snapshot: snapshot))
        XCTAssertEqual(answers.first?.index, 3)
        XCTAssertEqual(node.log.lastIndex, 4, "the log is untouched")
    }

    func testSnapshotMatchingOurLogOnlyAdvancesCommit() {
        let node = makeNode(terms: [1, 1, 1], hardState: HardState(term: 1, vote: 0, commit: 2))
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 3, term: 1, confState: ConfState(voters: [1, 2, 3])))
        _ = node.receive(Message(type: .snap, to: 1, from: 2, term: 1, snapshot: snapshot))
        XCTAssertEqual(node.log.committed, 3)
        XCTAssertEqual(node.log.lastIndex, 4, "the entry after the snapshot is kept")
    }

    func testJoiningMemberLearnsMembershipFromTheBootstrapSnapshot() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.add(id: 4)
        network.campaign(1)
        try network[1].raw.proposeConfChange(ConfChange(kind: .addLearner, nodeID: 4))
        network.stabilize()
        XCTAssertEqual(network[4].raw.status.confState, ConfState(voters: [1, 2, 3], learners: [4]))
    }

    func testFollowerRestoresMembershipFromSnapshot() {
        let node = makeNode(id: 4, voters: [], terms: [])
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 9, term: 3, confState: ConfState(voters: [1, 2, 4])),
                                data: [42])
        _ = node.receive(Message(type: .snap, to: 4, from: 1, term: 3, snapshot: snapshot))
        XCTAssertEqual(node.raw.status.confState.voters, [1, 2, 4])
        XCTAssertEqual(node.storage.firstIndex, 10)
        XCTAssertEqual(try node.storage.snapshot().data, [42])
    }
}
