import EtcdWire
import Foundation
import Raft
import XCTest
@testable import EtcdServer

final class MemberLogTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("memberlog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private let identity = LogIdentity(memberID: 0x8E9E_05C5_2164_694D, clusterID: 0xCDF8_1819_4E3A_8C32)

    func testEveryCommandKindSurvivesTheLogEncoding() throws {
        var put = PutRequest()
        put.key = Array("k".utf8)
        put.value = Array("v".utf8)
        put.lease = 7
        var delete = DeleteRangeRequest()
        delete.key = [0]
        delete.rangeEnd = [0]
        var txn = TxnRequest()
        txn.success = [RequestOp(.put(put))]
        var compact = CompactionRequest()
        compact.revision = 5
        var grant = LeaseGrantRequest()
        grant.id = 9
        grant.ttl = 90
        var revoke = LeaseRevokeRequest()
        revoke.id = 9
        var member = Member()
        member.id = 0x1234
        member.name = "m1"
        member.clientURLs = ["http://127.0.0.1:2379"]
        let commands: [Command] = [.put(put), .deleteRange(delete), .txn(txn), .compact(compact), .leaseGrant(grant), .leaseRevoke(revoke),
                                   .publishMember(member)]
        for (offset, command) in commands.enumerated() {
            let proposal = Proposal(requestID: UInt64.max - UInt64(offset), command: command)
            XCTAssertEqual(try Proposal(decoding: proposal.encoded()), proposal)
        }
        XCTAssertThrowsError(try Proposal(decoding: [0, 0, 0]))
        XCTAssertThrowsError(try Proposal(decoding: [0, 0, 0, 0, 0, 0, 0, 1, 99]))
    }

    private func member(_ id: UInt64, _ name: String, learner: Bool = false) -> Member {
        var member = Member()
        member.id = id
        member.name = name
        member.peerURLs = ["http://127.0.0.1:\(id % 60000)"]
        member.isLearner = learner
        return member
    }

    func testANewDirectoryIsBootstrappedAndReopensWithItsEntries() throws {
        let founders = [member(identity.memberID, "a"), member(7, "b"), member(9, "c")]
        let created = try MemberLog.open(dataDirectory: directory, maxSnapshots: 5, maxWALs: 5) { .newCluster(self.identity, members: founders) }
        XCTAssertEqual(created.snapshotIndex, 1)
        XCTAssertEqual(created.storage.initialState().confState.voters, [7, 9, identity.memberID].sorted())
        XCTAssertEqual(created.snapshotState?.membership, MembershipState(members: founders))
        let entries = (2...4).map { Entry(term: 2, index: UInt64($0), data: [UInt8($0)]) }
        try created.wal.save(hardState: HardState(term: 2, vote: identity.memberID, commit: 4), entries: entries)
        try created.wal.sync()

        let reopened = try MemberLog.open(dataDirectory: directory, maxSnapshots: 5, maxWALs: 5) {
            XCTFail("an existing log must not be bootstrapped again")
            return .join(self.identity, members: [])
        }
        XCTAssertEqual(reopened.identity, identity)
        XCTAssertEqual(reopened.snapshotState?.membership, MembershipState(members: founders))
        XCTAssertEqual(reopened.snapshotIndex, 1)
        XCTAssertEqual(reopened.storage.initialState().hardState, HardState(term: 2, vote: identity.memberID, commit: 4))
        XCTAssertEqual(try reopened.storage.entries(from: 2, to: 5, maxBytes: .max), entries)
    }

    func testAJoiningMemberStartsWithAnEmptyLog() throws {
        let joined = try MemberLog.open(dataDirectory: directory, maxSnapshots: 5, maxWALs: 5) { .join(self.identity, members: []) }
        XCTAssertEqual(joined.snapshotIndex, 0)
        XCTAssertNil(joined.snapshotState)
        XCTAssertEqual(joined.storage.lastIndex, 0)
        let reopened = try MemberLog.open(dataDirectory: directory, maxSnapshots: 5, maxWALs: 5) { .join(LogIdentity(memberID: 1, clusterID: 1), members: []) }
        XCTAssertEqual(reopened.identity, identity)
    }

    func testAppliedStateSnapshotRoundTripsAndRefusesDamage() throws {
        let state = AppliedStateSnapshot(membership: MembershipState(members: [member(3, "x"), member(5, "y", learner: true)], removed: [4, 8]))
        let bytes = state.encoded()
        XCTAssertEqual(try AppliedStateSnapshot(decoding: bytes), state)
        XCTAssertEqual(state.membership.confState, ConfState(voters: [3], learners: [5]))
        for cut in [0, 3, 5, 7, bytes.count - 1] {
            XCTAssertThrowsError(try AppliedStateSnapshot(decoding: Array(bytes.prefix(cut))), "cut at \(cut)")
        }
        var badVersion = bytes
        badVersion[4] = 99
        XCTAssertThrowsError(try AppliedStateSnapshot(decoding: badVersion)) { XCTAssertTrue("\($0)".contains("version 99"), "\($0)") }
    }

    func testMembershipChangesCarryTheirMemberAndRequest() throws {
        var added = member(42, "", learner: true)
        added.name = ""
        let change = MembershipChange(requestID: 0xABCD, kind: .addLearner, member: added)
        XCTAssertEqual(try MembershipChange(change.confChange), change)
        let members = ClusterMembers(MembershipState(members: [member(1, "a")]))
        members.apply(.addLearner, member: added)
        XCTAssertEqual(members.member(42)?.isLearner, true)
        members.apply(.addVoter, member: { var m = Member(); m.id = 42; return m }())
        XCTAssertEqual(members.member(42)?.isLearner, false)
        XCTAssertEqual(members.member(42)?.peerURLs, added.peerURLs, "a promotion keeps the peer URLs")
        members.updateAttributes(of: 42, name: "late", clientURLs: ["http://127.0.0.1:1"])
        XCTAssertEqual(members.member(42)?.name, "late")
        members.apply(.removeNode, member: { var m = Member(); m.id = 1; return m }())
        XCTAssertNil(members.member(1))
        XCTAssertTrue(members.wasRemoved(1))
        XCTAssertEqual(members.members.map(\.id), [42])
    }

    func testIdentityEncodingRoundTrips() throws {
        XCTAssertEqual(try LogIdentity(decoding: identity.encoded()), identity)
        XCTAssertThrowsError(try LogIdentity(decoding: [1, 2, 3]))
    }
}
