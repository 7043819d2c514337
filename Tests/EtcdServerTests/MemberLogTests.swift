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
        let commands: [Command] = [.put(put), .deleteRange(delete), .txn(txn), .compact(compact), .leaseGrant(grant), .leaseRevoke(revoke)]
        for (offset, command) in commands.enumerated() {
            let proposal = Proposal(requestID: UInt64.max - UInt64(offset), command: command)
            XCTAssertEqual(try Proposal(decoding: proposal.encoded()), proposal)
        }
        XCTAssertThrowsError(try Proposal(decoding: [0, 0, 0]))
        XCTAssertThrowsError(try Proposal(decoding: [0, 0, 0, 0, 0, 0, 0, 1, 99]))
    }

    func testANewDirectoryIsBootstrappedAndReopensWithItsEntries() throws {
        let created = try MemberLog.open(dataDirectory: directory, identity: identity, maxSnapshots: 5, maxWALs: 5)
        XCTAssertEqual(created.snapshotIndex, 1)
        XCTAssertEqual(created.storage.initialState().confState.voters, [identity.memberID])
        let entries = (2...4).map { Entry(term: 2, index: UInt64($0), data: [UInt8($0)]) }
        try created.wal.save(hardState: HardState(term: 2, vote: identity.memberID, commit: 4), entries: entries)
        try created.wal.sync()

        let reopened = try MemberLog.open(dataDirectory: directory, identity: identity, maxSnapshots: 5, maxWALs: 5)
        XCTAssertEqual(reopened.identity, identity)
        XCTAssertEqual(reopened.snapshotIndex, 1)
        XCTAssertEqual(reopened.storage.initialState().hardState, HardState(term: 2, vote: identity.memberID, commit: 4))
        XCTAssertEqual(try reopened.storage.entries(from: 2, to: 5, maxBytes: .max), entries)
    }

    func testIdentityEncodingRoundTrips() throws {
        XCTAssertEqual(try LogIdentity(decoding: identity.encoded()), identity)
        XCTAssertThrowsError(try LogIdentity(decoding: [1, 2, 3]))
    }
}
