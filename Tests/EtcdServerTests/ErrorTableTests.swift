import EtcdWire
import Foundation
import XCTest

/// Checks our error table against etcd's own (the Go source Debian ships in
/// golang-etcd-server-dev), so a typo in a code or a message fails here, not in a client.
final class ErrorTableTests: XCTestCase {
    private static let etcdTable = "/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes/error.go"

    /// Every constant of `EtcdError` that mirrors an entry of etcd's table.
    private let ours: [EtcdError] = [
        .emptyKey, .keyNotFound, .valueProvided, .leaseProvided, .tooManyOps, .duplicateKey,
        .requestTooLarge, .tooManyRequests, .compacted, .futureRevision, .noSpace,
        .leaseNotFound, .leaseExists, .leaseTTLTooLarge,
        .memberExists, .peerURLExists, .memberNotEnoughStarted, .memberBadURLs, .memberNotFound,
        .memberNotLearner, .learnerNotReady, .tooManyLearners,
        .authNotEnabled, .invalidAuthToken, .permissionDenied, .userEmpty,
        .noLeader, .notLeader, .leaderChanged, .stopped, .timeout, .unhealthyCluster, .corrupt,
        .notSupportedForLearner, .badLeaderTransferee,
    ]

    func testEveryErrorMatchesEtcdsCodeAndMessage() throws {
        guard let source = try? String(contentsOfFile: Self.etcdTable, encoding: .utf8) else {
            return XCTFail("etcd's error table is missing at \(Self.etcdTable): install golang-etcd-server-dev")
        }
        let pattern = try NSRegularExpression(pattern: #"status\.New\(codes\.(\w+), "([^"]+)"\)"#)
        var etcdCodes: [String: String] = [:]
        for match in pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
            let code = String(source[Range(match.range(at: 1), in: source)!])
            let message = String(source[Range(match.range(at: 2), in: source)!])
            etcdCodes[message] = code
        }
        XCTAssertGreaterThan(etcdCodes.count, 50, "parsed too little of \(Self.etcdTable)")
        for error in ours {
            guard let code = etcdCodes[error.message] else {
                XCTFail("etcd has no error with the message \"\(error.message)\"")
                continue
            }
            XCTAssertEqual(error.code.name, code, "code of \"\(error.message)\"")
        }
    }
}
