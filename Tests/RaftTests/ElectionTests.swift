import XCTest
@testable import Raft

/// Raft §5.2 (leader election) and §5.4.1 (election restriction).
final class ElectionTests: XCTestCase {
    func testFollowerStartsElectionAfterElectionTimeout() {
        let node = makeNode()
        let sent = node.tickUntilCampaign()
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, 1)
        XCTAssertEqual(node.node.vote, 1, "a candidate votes for itself")
        XCTAssertEqual(sent.filter { $0.type == .vote }.map(\.to).sorted(), [2, 3])
        XCTAssertTrue(sent.allSatisfy { $0.term == 1 && $0.index == 1 && $0.logTerm == 1 })
    }

    func testElectionTimeoutIsRandomizedBetweenOneAndTwoTimeouts() {
        var seen = Set<Int>()
        for seed in 0..<200 as Range<UInt64> {
            let raw = RawNode(config: RaftConfig(id: 1, electionTick: 10),
                              storage: storage(voters: [1, 2, 3], terms: []), random: SplitMix64(seed: seed))
            let timeout = raw.node.randomizedElectionTimeout
            XCTAssertTrue((10..<20).contains(timeout), "timeout \(timeout)")
            seen.insert(timeout)
        }
        XCTAssertEqual(seen.count, 10, "every value in [electionTick, 2*electionTick) occurs")
    }

    func testSameSeedGivesSameElectionTimeout() {
        func timeout(_ seed: UInt64) -> Int {
            RawNode(config: RaftConfig(id: 1), storage: storage(voters: [1], terms: []),
                    random: SplitMix64(seed: seed)).node.randomizedElectionTimeout
        }
        XCTAssertEqual(timeout(42), timeout(42))
    }

    func testCandidateWinsWithVotesFromMajority() {
        // (cluster size, granted voters besides the candidate, expected role)
        let table: [(Int, [UInt64], RoleKind)] = [
            (1, [], .leader),
            (3, [2], .leader),
            (3, [], .candidate),
            (5, [2, 3], .leader),
            (5, [2], .candidate),
        ]
        for (size, granted, expected) in table {
            let voters = Array(1...UInt64(size))
            let node = makeNode(voters: voters)
            node.raw.campaign()
            _ = node.handleReady()
            for voter in granted {
                _ = node.receive(Message(type: .voteResp, to: 1, from: voter, term: 1))
            }
            XCTAssertEqual(node.role, expected, "size \(size), granted \(granted)")
        }
    }

    func testCandidateLosesWhenMajorityRejects() {
        let node = makeNode(voters: [1, 2, 3])
        node.raw.campaign()
        _ = node.handleReady()
        _ = node.receive(Message(type: .voteResp, to: 1, from: 2, term: 1, reject: true))
        XCTAssertEqual(node.role, .candidate)
        _ = node.receive(Message(type: .voteResp, to: 1, from: 3, term: 1, reject: true))
        XCTAssertEqual(node.role, .follower)
        XCTAssertEqual(node.term, 1)
    }

    func testCandidateStepsDownOnHigherTerm() {
        for type in [MessageType.app, .heartbeat, .vote, .appResp] {
            let node = makeNode()
            node.raw.campaign()
            _ = node.handleReady()
            _ = node.receive(Message(type: type, to: 1, from: 2, term: 5, logTerm: 9, index: 9))
            XCTAssertEqual(node.role, .follower, "\(type)")
            XCTAssertEqual(node.term, 5, "\(type)")
        }
    }

    func testCandidateFollowsLeaderThatWonTheSameTerm() {
        let node = makeNode()
        node.raw.campaign()
        _ = node.handleReady()
        _ = node.receive(Message(type: .app, to: 1, from: 2, term: 1, logTerm: 1, index: 1))
        XCTAssertEqual(node.role, .follower)
        XCTAssertEqual(node.node.leader, 2)
    }

    func testCandidateStartsNewElectionAfterSplitVote() {
        let node = makeNode()
        _ = node.tickUntilCampaign()
        XCTAssertEqual(node.term, 1)
        for _ in 0..<20 where node.term == 1 {
            node.raw.tick()
            _ = node.handleReady()
        }
        XCTAssertEqual(node.role, .candidate)
        XCTAssertEqual(node.term, 2, "no winner within the timeout: campaign again in a new term")
    }

    func testFollowerVotesAtMostOncePerTerm() {
        // (vote already cast in term 1, candidate, expected rejection)
        let table: [(UInt64, UInt64, Bool)] = [(0, 2, false), (2, 2, false), (3, 2, true)]
        for (votedFor, candidate, rejected) in table {
            let node = makeNode(hardState: HardState(term: 1, vote: votedFor, commit: 0))
            let answers = node.receive(Message(type: .vote, to: 1, from: candidate, term: 1, logTerm: 1, index: 1))
            XCTAssertEqual(answers.map(\.type), [.voteResp])
            XCTAssertEqual(answers.first?.reject, rejected, "voted for \(votedFor)")
        }
    }

    func testVoterRejectsCandidateWithLessUpToDateLog() {
        // Our log ends at index 3 with term 2. (candidate last index, last term, granted)
        let table: [(UInt64, UInt64, Bool)] = [
            (3, 2, true), (4, 2, true), (2, 2, false),
            (2, 3, true), (9, 1, false), (1, 1, false),
        ]
        for (index, logTerm, granted) in table {
            let node = makeNode(terms: [2, 2])
            let answers = node.receive(Message(type: .vote, to: 1, from: 2, term: 3, logTerm: logTerm, index: index))
            XCTAssertEqual(answers.first?.reject, !granted, "candidate (\(index), \(logTerm))")
        }
    }

    func testLeaderStepsDownOnHigherTerm() {
        let node = makeNode()
        node.electSelf()
        _ = node.receive(Message(type: .heartbeat, to: 1, from: 2, term: 7))
        XCTAssertEqual(node.role, .follower)
        XCTAssertEqual(node.term, 7)
        XCTAssertEqual(node.node.leader, 2)
    }

    func testMessagesFromLowerTermAreNotActedOnButAnsweredWithOurTerm() {
        // (message type, expected answer carrying term 5)
        let table: [(MessageType, MessageType?)] = [
            (.app, .appResp), (.heartbeat, .appResp), (.vote, .voteResp), (.preVote, .preVoteResp),
            (.appResp, nil), (.voteResp, nil), (.snap, nil), (.timeoutNow, nil),
        ]
        for (type, answerType) in table {
            let node = makeNode(hardState: HardState(term: 5, vote: 0, commit: 0))
            let answers = node.receive(Message(type: type, to: 1, from: 2, term: 3, logTerm: 9, index: 1,
                                               entries: type == .app ? entries(from: 2, terms: [3]) : []))
            XCTAssertEqual(answers.map(\.type), answerType.map { [$0] } ?? [], "\(type)")
            XCTAssertTrue(answers.allSatisfy { $0.term == 5 && ($0.type == .appResp || $0.reject) }, "\(type)")
            XCTAssertEqual(node.log.lastIndex, 1, "\(type)")
            XCTAssertEqual(node.term, 5, "\(type)")
            XCTAssertEqual(node.role, .follower, "\(type)")
        }
    }

    func testElectionSafetyAtMostOneLeaderPerTerm() {
        // Every node tries to win at once with random timeouts; whoever wins, each term has
        // at most one leader.
        for seed in 1...20 as ClosedRange<UInt64> {
            let network = TestNetwork(voters: [1, 2, 3, 4, 5], seed: seed)
            var leaderOfTerm: [UInt64: UInt64] = [:]
            for round in 0..<200 {
                let id = UInt64(round % 5) + 1
                if round % 7 == Int(seed % 7) { network.isolate(id) } else if round % 11 == 0 { network.heal() }
                network.tick(id)
                for node in network.nodes.values where node.role == .leader {
                    XCTAssertEqual(leaderOfTerm[node.term, default: node.id], node.id, "two leaders in term \(node.term)")
                    leaderOfTerm[node.term] = node.id
                }
            }
            XCTAssertFalse(leaderOfTerm.isEmpty)
        }
    }

    func testNewLeaderAppendsEmptyEntryOfItsTerm() {
        let network = TestNetwork(voters: [1, 2, 3])
        network.campaign(1)
        XCTAssertEqual(network.leaders, [1])
        let last = network[1].log.lastIndex
        XCTAssertEqual(last, 2)
        let entry = try! network[1].log.slice(last, last + 1, maxBytes: .max)[0]
        XCTAssertEqual(entry, Entry(term: 1, index: 2, type: .normal, data: []))
        for id in [1, 2, 3] as [UInt64] {
            XCTAssertEqual(network[id].log.committed, 2, "node \(id)")
        }
    }
}
