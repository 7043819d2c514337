@testable import EtcdServer
import EtcdWire
import XCTest

/// etcd's quota arithmetic (`etcdserver/quota.go`).
final class BackendQuotaTests: XCTestCase {
    private func put(key: Int, value: Int) -> PutRequest {
        var request = PutRequest()
        request.key = Array(repeating: 1, count: key)
        request.value = Array(repeating: 2, count: value)
        return request
    }

    func testCosts() {
        XCTAssertEqual(BackendQuota.cost(of: .put(put(key: 3, value: 10))), 256 + 13)
        var txn = TxnRequest()
        txn.success = [RequestOp(.put(put(key: 1, value: 1))), RequestOp(.put(put(key: 1, value: 1))), RequestOp(.range(RangeRequest()))]
        txn.failure = [RequestOp(.put(put(key: 200, value: 200)))]
        XCTAssertEqual(BackendQuota.cost(of: .txn(txn)), 656, "the costlier branch")
        txn.failure = []
        XCTAssertEqual(BackendQuota.cost(of: .txn(txn)), 2 * 258)
        var nested = TxnRequest()
        nested.success = [RequestOp(.txn(txn))]
        XCTAssertEqual(BackendQuota.cost(of: .txn(nested)), 0, "etcd does not look into nested transactions")
        XCTAssertEqual(BackendQuota.cost(of: .leaseGrant(LeaseGrantRequest())), 64)
        XCTAssertEqual(BackendQuota.cost(of: .deleteRange(DeleteRangeRequest())), 0)
        XCTAssertEqual(BackendQuota.cost(of: .compact(CompactionRequest())), 0)
        XCTAssertEqual(BackendQuota.cost(of: .alarm(AlarmRequest())), 0)
    }

    func testAdmits() {
        let quota = BackendQuota(configuredBytes: 1000)
        let write = Command.put(put(key: 4, value: 40))  // costs 300
        XCTAssertTrue(quota.admits(write, storeBytes: 699))
        XCTAssertFalse(quota.admits(write, storeBytes: 700), "size + cost must stay below the quota")
        XCTAssertTrue(quota.admits(.deleteRange(DeleteRangeRequest()), storeBytes: 5000), "what takes no space always fits")
        XCTAssertTrue(BackendQuota(configuredBytes: -1).admits(write, storeBytes: .max / 2), "a negative quota turns it off")
    }

    func testReportedBytes() {
        XCTAssertEqual(BackendQuota(configuredBytes: 0).reportedBytes, 2 * 1024 * 1024 * 1024)
        XCTAssertEqual(BackendQuota(configuredBytes: 16384).reportedBytes, 16384)
        XCTAssertEqual(BackendQuota(configuredBytes: -1).reportedBytes, -1)
    }
}
