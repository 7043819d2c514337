import XCTest
@testable import Raft

/// Raft §5.3 (log replication) and §5.4.2 (committing entries from previous terms).
final class ReplicationTests: XCTestCase {
    func testLeaderReplicatesProposalAndCommitsOnMajority() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.cut(1, 3)
        try network.propose(1, "x")
        XCTAssertEqual(network[1].log.committed, 3, "leader and one follower form a majority")
        XCTAssertEqual(network[1].applied.strings, ["x"])
        XCTAssertEqual(network[2].applied.strings, ["x"])
        XCTAssertEqual(network[3].applied.strings, [])
    }

    func testLeaderDoesNotCommitWithoutMajority() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.isolate(1)
        try network.propose(1, "x")
        XCTAssertEqual(network[1].log.lastIndex, 3)
        XCTAssertEqual(network[1].log.committed, 2)
    }

    func testFollowerRejectsAppendWhenPrevLogTermMismatches() {
        let node = makeNode(terms: [1, 2], hardState: HardState(term: 3, vote: 0, commit: 1))
        let answers = node.receive(Message(type: .app, to: 1, from: 2, term: 3, logTerm: 3, index: 3,
                                           entries: entries(from: 4, terms: [3])))
        XCTAssertEqual(answers.count, 1)
        XCTAssertTrue(answers[0].reject)
        XCTAssertEqual(answers[0].index, 3)
        // Our entry at 3 has term 2, not above the leader's 3 there: the logs may match below.
        XCTAssertEqual(answers[0].rejectHint, 3)
        XCTAssertEqual(answers[0].logTerm, 2)
        XCTAssertEqual(node.log.lastIndex, 3, "nothing appended")
    }

    func testFollowerRejectsAppendWhenPrevEntryIsMissing() {
        let node = makeNode(terms: [1], hardState: HardState(term: 2, vote: 0, commit: 1))
        let answers = node.receive(Message(type: .app, to: 1, from: 2, term: 2, logTerm: 2, index: 5,
                                           entries: entries(from: 6, terms: [2])))
        XCTAssertEqual(answers.first?.reject, true)
        XCTAssertEqual(answers.first?.rejectHint, 2, "hint: our last index")
        XCTAssertEqual(answers.first?.logTerm, 1)
    }

    func testFollowerDeletesConflictingEntriesAndAppendsNewOnes() {
        // The follower holds terms [1, 1, 2] at indexes 2...4; the leader appends after
        // (prevIndex, prevTerm). (prevIndex, prevTerm, new terms, expected log terms 2...)
        let table: [(UInt64, UInt64, [UInt64], [UInt64])] = [
            (4, 2, [3], [1, 1, 2, 3]),          // plain append
            (3, 1, [3], [1, 1, 3]),             // conflict at 4: replaced, tail dropped
            (2, 1, [1, 2], [1, 1, 2]),          // already present: nothing changes
            (2, 1, [1, 3, 3], [1, 1, 3, 3]),    // conflict in the middle of the batch
            (1, 1, [], [1, 1, 2]),              // heartbeat-like empty append keeps the tail
        ]
        for (prevIndex, prevTerm, newTerms, expected) in table {
            let node = makeNode(terms: [1, 1, 2], hardState: HardState(term: 3, vote: 0, commit: 1))
            let answers = node.receive(Message(type: .app, to: 1, from: 2, term: 3, logTerm: prevTerm, index: prevIndex,
                                               entries: entries(from: prevIndex + 1, terms: newTerms)))
            XCTAssertEqual(answers.first?.reject, false)
            let log = try! node.log.slice(2, node.log.lastIndex + 1, maxBytes: .max)
            XCTAssertEqual(log.map(\.term), expected, "append after (\(prevIndex), \(prevTerm)) of \(newTerms)")
        }
    }

    func testFollowerCommitsUpToLeaderCommitButNotBeyondTheLastNewEntry() {
        // The follower's stale tail past the new entries may differ from the leader's log, so
        // a leader commit index beyond the appended entries must not commit it.
        let node = makeNode(terms: [1, 1, 1, 1], hardState: HardState(term: 2, vote: 0, commit: 1))
        _ = node.receive(Message(type: .app, to: 1, from: 2, term: 2, logTerm: 1, index: 2,
                                 entries: entries(from: 3, terms: [1]), commit: 5))
        XCTAssertEqual(node.log.committed, 3)
    }

    func testHeartbeatCommitIsCappedAtFollowersMatch() {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.cut(1, 3)
        try! network.propose(1, "x")
        network.heal()
        network.drop(.app)
        network.clearTrace()
        network.tick(1)
        let toLagging = network.trace.filter { $0.type == .heartbeat && $0.to == 3 }
        XCTAssertFalse(toLagging.isEmpty)
        XCTAssertTrue(toLagging.allSatisfy { $0.commit == 2 }, "node 3 only matches up to 2")
        XCTAssertEqual(network[3].log.committed, 2)
    }

    /// Raft paper Figure 7: a new leader (term 8) meets followers (a)–(f) with divergent logs.
    private static let figure7Leader: [UInt64] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
    private static let figure7Followers: [[UInt64]] = [
        [1, 1, 1, 4, 4, 5, 5, 6, 6],
        [1, 1, 1, 4],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
        [1, 1, 1, 4, 4, 4, 4],
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    ]

    func testLeaderBringsDivergentFollowersIntoAgreement() throws {
        for (label, followerTerms) in zip("abcdef", Self.figure7Followers) {
            let network = TestNetwork(voters: [1, 2, 3])
            network.add(id: 1, storage: storage(voters: [1, 2, 3], terms: Self.figure7Leader,
                                                 hardState: HardState(term: 7, vote: 0, commit: 0)))
            network.add(id: 2, storage: storage(voters: [1, 2, 3], terms: followerTerms,
                                                 hardState: HardState(term: 7, vote: 0, commit: 0)))
            network.add(id: 3, storage: storage(voters: [1, 2, 3], terms: Self.figure7Leader,
                                                 hardState: HardState(term: 7, vote: 0, commit: 0)))
            network.campaign(1)
            XCTAssertEqual(network.leaders, [1], "(\(label))")
            try network.propose(1, "after")
            let leaderLog = try network[1].log.slice(2, network[1].log.lastIndex + 1, maxBytes: .max)
            let followerLog = try network[2].log.slice(2, network[2].log.lastIndex + 1, maxBytes: .max)
            XCTAssertEqual(followerLog, leaderLog, "(\(label))")
        }
    }

    func testRejectHintSkipsWholeTermsWhenBacktracking() {
        // Follower (f) of Figure 7 differs from the leader from index 5 on (our indexes are one
        // higher: index 1 is the bootstrap snapshot). One append per differing term would take
        // many round trips; the hint finds the match point in at most two rejections.
        let network = TestNetwork(voters: [1, 2])
        network.add(id: 1, storage: storage(voters: [1, 2], terms: Self.figure7Leader,
                                             hardState: HardState(term: 7, vote: 0, commit: 0)))
        network.add(id: 2, storage: storage(voters: [1, 2], terms: Self.figure7Followers[5],
                                             hardState: HardState(term: 7, vote: 0, commit: 0)))
        network.campaign(1)
        let rejections = network.trace.filter { $0.type == .appResp && $0.reject }
        XCTAssertLessThanOrEqual(rejections.count, 2)
        XCTAssertEqual(network[2].log.lastIndex, network[1].log.lastIndex)
        XCTAssertEqual(network[2].log.term(at: 4), 1)
        XCTAssertEqual(network[2].log.term(at: 5), 4)
    }

    /// Raft paper Figure 8: an entry from an earlier term that is stored on a majority may
    /// still be overwritten, so a leader must not commit it by counting replicas.
    func testLeaderOnlyCommitsEntriesFromItsCurrentTermByCounting() {
        // Node 1 leads term 3 with an unreplicated-until-now entry of term 2 at index 3.
        let leader = makeNode(id: 1, voters: [1, 2, 3, 4, 5], terms: [1, 2],
                              hardState: HardState(term: 2, vote: 1, commit: 2))
        leader.electSelf()
        XCTAssertEqual(leader.term, 3)
        XCTAssertEqual(leader.log.lastIndex, 4, "the new term's empty entry follows")
        // Two followers acknowledge index 3 only: a majority stores the term-2 entry...
        _ = leader.receive(Message(type: .appResp, to: 1, from: 2, term: 3, index: 3))
        _ = leader.receive(Message(type: .appResp, to: 1, from: 3, term: 3, index: 3))
        XCTAssertEqual(leader.log.committed, 2, "...but counting replicas commits only current-term entries")
        // Once the term-3 entry is on a majority, it commits, and index 3 with it.
        _ = leader.receive(Message(type: .appResp, to: 1, from: 2, term: 3, index: 4))
        _ = leader.receive(Message(type: .appResp, to: 1, from: 3, term: 3, index: 4))
        XCTAssertEqual(leader.log.committed, 4)
    }

    func testLeaderCompletenessCandidateMissingCommittedEntryCannotWin() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        network.cut(1, 3)
        try network.propose(1, "committed")
        network.heal()
        network.isolate(1)
        // Node 3 lacks the committed entry: node 2 refuses it, so it cannot win.
        network.campaign(3)
        XCTAssertNotEqual(network[3].role, .leader)
        network.campaign(2)
        XCTAssertEqual(network[2].role, .leader)
        XCTAssertEqual(network[2].applied.strings, ["committed"])
    }

    func testLogMatchingSameIndexAndTermMeansSamePrefix() throws {
        // Leaders change under partitions, leaving divergent tails that are later repaired.
        let network = TestNetwork(voters: [1, 2, 3, 4, 5])
        for (round, leader) in ([1, 2, 3, 4, 5, 1, 3] as [UInt64]).enumerated() {
            network.heal()
            network.campaign(leader)
            try? network.propose(leader, "r\(round)")
            network.isolate(leader)
            try? network.propose(leader, "lost\(round)")
        }
        let logs = try network.nodes.keys.sorted().map { id -> [Entry] in
            let log = network[id].log
            return try log.slice(log.firstIndex, log.lastIndex + 1, maxBytes: .max)
        }
        for a in logs {
            for b in logs {
                for (x, y) in zip(a, b) where x.index == y.index && x.term == y.term {
                    XCTAssertEqual(Array(a.prefix { $0.index <= x.index }), Array(b.prefix { $0.index <= y.index }))
                }
            }
        }
        network.heal()
        network.tickAll(40)
        let healed = Set(network.nodes.values.map { $0.applied })
        XCTAssertEqual(healed.count, 1, "after healing every member applied the same sequence")
    }

    func testFollowerForwardsProposalToLeader() throws {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        try network.propose(2, "via follower")
        for id in [1, 2, 3] as [UInt64] {
            XCTAssertEqual(network[id].applied.strings, ["via follower"], "node \(id)")
        }
    }

    func testProposalWithoutLeaderIsDropped() {
        let node = makeNode()
        XCTAssertThrowsError(try node.raw.propose([1])) { XCTAssertEqual($0 as? RaftError, .noLeader) }
        node.raw.campaign()
        XCTAssertThrowsError(try node.raw.propose([1])) { XCTAssertEqual($0 as? RaftError, .noLeader) }
    }

    func testSingleVoterCommitsOnAppend() throws {
        let network = TestNetwork(voters: [1])
        network.campaign(1)
        try network.propose(1, "alone")
        XCTAssertEqual(network[1].applied.strings, ["alone"])
    }
}
