@testable import EtcdServer
import EtcdWire
import XCTest

/// The decisions of etcd's corruption checks (`etcdserver/corrupt.go`).
final class HashKVComparisonTests: XCTestCase {
    private func figures(_ hash: UInt32, _ revision: Int64, _ compact: Int64) -> HashKVFigures {
        HashKVFigures(hash: hash, revision: revision, compactRevision: compact)
    }

    private func peer(_ member: UInt64, _ answer: HashKVFigures) -> PeerHashKV {
        PeerHashKV(member: member, answer: .success(answer))
    }

    func testInitialCheck() {
        let local = figures(0xAA, 20, 5)
        let agreeing = HashKVComparison.initial(local: local, peers: [peer(2, figures(0xAA, 30, 5))])
        XCTAssertEqual(agreeing.mismatched, [])
        XCTAssertEqual(agreeing.findings.count, 0)

        let comparison = HashKVComparison.initial(local: local, peers: [
            peer(2, figures(0xBB, 30, 5)),  // same compaction, another hash: inconsistent
            peer(3, figures(0xBB, 30, 9)),  // another compaction: cannot tell
            PeerHashKV(member: 4, answer: .failure(.futureRevision)),
            PeerHashKV(member: 5, answer: .failure(.compacted)),
            PeerHashKV(member: 6, answer: .failure(.timeout)),
        ])
        XCTAssertEqual(comparison.mismatched, [2])
        XCTAssertEqual(comparison.findings.map(\.message), [
            "found different hash values from remote peer", "found different compact revision values from remote peer",
            "cannot fetch hash from slow remote peer", "cannot fetch hash from remote peer; local member is behind",
            "failed hash kv request",
        ])
    }

    func testPeriodicCheck() {
        let before = figures(0xAA, 20, 5)
        XCTAssertEqual(HashKVComparison.periodic(before: before, after: figures(0xAA, 22, 5), peers: [
            peer(2, figures(0xAA, 21, 5)), peer(3, figures(0x11, 19, 3)),  // behind on compaction: not compared
            PeerHashKV(member: 4, answer: .failure(.timeout)),
        ], localMember: 1).mismatched, [])

        XCTAssertEqual(HashKVComparison.periodic(before: before, after: figures(0xCC, 20, 5), peers: [], localMember: 1).mismatched,
                       [1], "the leader's own hash changed without a write")
        let comparison = HashKVComparison.periodic(before: before, after: figures(0xAA, 22, 5), peers: [
            peer(2, figures(0xAA, 23, 5)),  // ahead of the leader
            peer(3, figures(0xAA, 21, 6)),  // compacted past the leader
            peer(4, figures(0xBB, 21, 5)),  // same compaction, another hash
        ], localMember: 1)
        XCTAssertEqual(comparison.mismatched, [2, 3, 4])
        XCTAssertEqual(HashKVComparison.answered([peer(2, before), PeerHashKV(member: 3, answer: .failure(.timeout))]), 1)
    }
}
