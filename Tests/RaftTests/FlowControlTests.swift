import XCTest
@testable import Raft

/// How a leader paces appends: probe, replicate with an inflight window, and size limits.
final class FlowControlTests: XCTestCase {
    /// A leader of {1, 2} whose follower 2 has acknowledged everything so far.
    private func leader(configure: (inout RaftConfig) -> Void = { _ in }) -> TestNode {
        let node = makeNode(id: 1, voters: [1, 2], configure: configure)
        node.electSelf()
        _ = node.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: node.log.lastIndex))
        return node
    }

    private func appendsTo2(_ messages: [Message]) -> [Message] {
        messages.filter { $0.type == .app && $0.to == 2 }
    }

    func testProbeSendsOneAppendUntilAcknowledged() throws {
        let node = makeNode(id: 1, voters: [1, 2])
        node.electSelf()  // Follower 2 is in probe state with one append outstanding.
        XCTAssertEqual(node.node.leaderState?.progress[2]?.state, .probe)
        var sent: [Message] = []
        for n in 0..<5 {
            try node.raw.propose([UInt8(n)])
            sent += node.handleReady()
        }
        XCTAssertEqual(appendsTo2(sent), [], "paused until the probe is answered")
        sent = node.receive(Message(type: .heartbeatResp, to: 1, from: 2, term: 1))
        XCTAssertEqual(appendsTo2(sent).count, 1, "a heartbeat answer allows the next probe")
    }

    func testReplicateStopsAtTheInflightLimit() throws {
        let node = leader { $0.maxInflightMsgs = 3 }
        XCTAssertEqual(node.node.leaderState?.progress[2]?.state, .replicate)
        var sent: [Message] = []
        for n in 0..<10 {
            try node.raw.propose([UInt8(n)])
            sent += node.handleReady()
        }
        XCTAssertEqual(appendsTo2(sent).count, 3)
        // One acknowledgement frees room for exactly the entries not yet sent.
        let firstLast = appendsTo2(sent)[0].entries.last!.index
        sent = node.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: firstLast))
        XCTAssertEqual(appendsTo2(sent).count, 1)
        XCTAssertEqual(appendsTo2(sent)[0].entries.count, 7, "the rest travels in one message")
    }

    func testHeartbeatAnswerFreesOneSlotOfAFullWindow() throws {
        let node = leader { $0.maxInflightMsgs = 2 }
        for n in 0..<4 {
            try node.raw.propose([UInt8(n)])
            _ = node.handleReady()
        }
        XCTAssertEqual(node.node.leaderState?.progress[2]?.inflightCount, 2)
        let sent = node.receive(Message(type: .heartbeatResp, to: 1, from: 2, term: 1))
        XCTAssertEqual(appendsTo2(sent).count, 1)
    }

    func testAppendMessagesRespectTheSizeLimit() throws {
        let node = makeNode(id: 1, voters: [1, 2]) { $0.maxSizePerMsg = 100 }
        node.electSelf()
        for _ in 0..<10 {
            try node.raw.propose([UInt8](repeating: 7, count: 30))
            _ = node.handleReady()
        }
        // The probe is answered; replication resumes in size-limited messages.
        let sent = node.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: 1))
        let appends = appendsTo2(sent)
        XCTAssertGreaterThan(appends.count, 1)
        for append in appends {
            XCTAssertLessThanOrEqual(append.entries.reduce(0) { $0 + $1.sizeInBytes }, 100)
        }
        XCTAssertEqual(appends.last?.entries.last?.index, node.log.lastIndex)
    }

    func testUnreachableFollowerFallsBackToProbing() {
        let node = leader()
        node.raw.reportUnreachable(2)
        XCTAssertEqual(node.node.leaderState?.progress[2]?.state, .probe)
    }

    func testStaleRejectionIsIgnored() throws {
        let node = leader()
        let match = node.node.leaderState!.progress[2]!.match
        _ = node.receive(Message(type: .appResp, to: 1, from: 2, term: 1, index: match - 1, reject: true,
                                 rejectHint: match - 1))
        XCTAssertEqual(node.node.leaderState?.progress[2]?.state, .replicate)
        XCTAssertEqual(node.node.leaderState?.progress[2]?.match, match)
    }

    func testCommittedEntriesArePagedAcrossReadies() throws {
        let node = makeNode(voters: [1]) { $0.maxCommittedSizePerReady = 60 }
        node.electSelf()
        _ = node.handleReady()
        for n in 0..<6 {
            try node.raw.propose([UInt8](repeating: UInt8(n), count: 10))
        }
        var batches = 0
        while node.raw.hasReady {
            let ready = node.raw.ready()
            node.storage.append(ready.entries)
            if !ready.committedEntries.isEmpty { batches += 1 }
            XCTAssertLessThanOrEqual(ready.committedEntries.count, 2)
            node.raw.advance(ready)
        }
        XCTAssertEqual(batches, 3)
        XCTAssertEqual(node.raw.status.applied, 8)
    }
}
