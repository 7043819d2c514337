@testable import EtcdServer
import EtcdWire
import Lease
import MVCC
import XCTest

/// Alarms through the state machine's apply path: what ACTIVATE, DEACTIVATE and GET answer,
/// and which commands an active alarm refuses (etcd's `applierV3Capped` and `applierV3Corrupt`).
final class AlarmApplyTests: XCTestCase, StateMachineCommands {
    private func stateMachine() -> KVStateMachine {
        let leases = LeaseKeeper(minimumTTL: 2, idGenerator: LeaseIDGenerator(memberID: 1, unixMilliseconds: 0))
        return KVStateMachine(maxTxnOps: 128, leases: leases, members: ClusterMembers(MembershipState(members: [])),
                              metrics: ServerMetrics(serverVersion: "3.4.23", clusterVersion: "3.4.0", memberID: 1))
    }

    private func alarm(_ action: AlarmAction, _ member: UInt64, _ type: AlarmType) -> Command {
        var request = AlarmRequest()
        request.action = action
        request.memberID = member
        request.alarm = type
        return .alarm(request)
    }

    private func member(_ id: UInt64, _ type: AlarmType) -> AlarmMember {
        var member = AlarmMember()
        member.memberID = id
        member.alarm = type
        return member
    }

    private func putRequest(_ key: String) -> PutRequest {
        var request = PutRequest()
        request.key = Array(key.utf8)
        request.value = Array("v".utf8)
        return request
    }

    private func txn(success: [RequestOp] = [], failure: [RequestOp] = []) -> Command {
        var request = TxnRequest()
        request.success = success
        request.failure = failure
        return .txn(request)
    }

    private func compact(_ revision: Int64) -> Command {
        var request = CompactionRequest()
        request.revision = revision
        return .compact(request)
    }

    private func failure(_ result: Result<CommandResult, EtcdError>) -> EtcdError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    private func alarms(_ result: Result<CommandResult, EtcdError>) -> [AlarmMember]? {
        guard case .success(.alarm(let response)) = result else { return nil }
        XCTAssertNil(response.header, "etcd leaves the header of an Alarm response empty")
        return response.alarms
    }

    func testActivateDeactivateAndList() {
        let machine = stateMachine()
        let results = machine.apply([
            alarm(.activate, 7, .noSpace), alarm(.activate, 7, .noSpace), alarm(.activate, 3, .noSpace),
            alarm(.activate, 0, .corrupt), alarm(.get, 0, .noSpace), alarm(.deactivate, 9, .noSpace),
            alarm(.deactivate, 7, .noSpace), alarm(.get, 0, .none),
        ], appliedIndex: 8)
        XCTAssertEqual(alarms(results[0]), [member(7, .noSpace)])
        XCTAssertEqual(alarms(results[1]), [member(7, .noSpace)], "raising an active alarm answers it again")
        XCTAssertEqual(alarms(results[4]), [member(3, .noSpace), member(7, .noSpace)])
        XCTAssertEqual(alarms(results[5]), [], "disarming an alarm nobody raised answers nothing")
        XCTAssertEqual(alarms(results[6]), [member(7, .noSpace)])
        XCTAssertEqual(alarms(results[7]), [member(3, .noSpace), member(0, .corrupt)], "by type, then member")
        XCTAssertEqual(machine.activeAlarms(), [member(3, .noSpace), member(0, .corrupt)])
        XCTAssertEqual(machine.activeAlarms(.corrupt), [member(0, .corrupt)])
    }

    func testNoSpaceRefusesOnlyWhatTakesSpace() throws {
        let machine = stateMachine()
        _ = machine.apply([put("a"), grant(5), alarm(.activate, 1, .noSpace)], appliedIndex: 3)
        let nestedPut = txn(success: [RequestOp(.txn({ var inner = TxnRequest(); inner.success = [RequestOp(.put(putRequest("n")))]; return inner }()))])
        let results = machine.apply([
            put("b"), txn(failure: [RequestOp(.put(putRequest("c")))]), grant(6),
            delete("a"), txn(success: [RequestOp(.deleteRange({ var d = DeleteRangeRequest(); d.key = Array("x".utf8); return d }()))]),
            nestedPut, compact(2), revoke(5),
        ], appliedIndex: 11)
        XCTAssertEqual(results.map(failure), [.noSpace, .noSpace, .noSpace, nil, nil, nil, nil, nil],
                       "puts, transactions with top-level puts and grants are refused; a nested put is not counted, as in etcd")
        var range = RangeRequest()
        range.key = Array("n".utf8)
        XCTAssertEqual(try machine.range(range).kvs.count, 1, "reads are not refused")

        _ = machine.apply([alarm(.deactivate, 1, .noSpace)], appliedIndex: 12)
        XCTAssertEqual(machine.apply([put("b"), grant(6)], appliedIndex: 14).map(failure), [nil, nil])
    }

    func testCorruptRefusesEveryWrite() throws {
        let machine = stateMachine()
        _ = machine.apply([put("a"), grant(5), alarm(.activate, 0, .corrupt), alarm(.activate, 1, .noSpace)], appliedIndex: 4)
        let results = machine.apply([put("b"), delete("a"), txn(), compact(1), grant(6), revoke(5)], appliedIndex: 10)
        XCTAssertEqual(results.map(failure), Array(repeating: .corrupt, count: 6), "CORRUPT comes before NOSPACE")
        var range = RangeRequest()
        range.key = Array("a".utf8)
        XCTAssertEqual(try machine.range(range).kvs.count, 1, "etcd 3.4 serves reads from its base applier")

        let disarm = machine.apply([alarm(.deactivate, 0, .corrupt), put("b"), delete("a")], appliedIndex: 13)
        XCTAssertEqual(disarm.map(failure), [nil, .noSpace, nil])
    }

    func testAlarmCommandTravelsInTheLogAsKind8() throws {
        var request = AlarmRequest()
        request.action = .activate
        request.memberID = 0xABCD
        request.alarm = .noSpace
        let proposal = Proposal(requestID: 42, command: .alarm(request))
        let bytes = proposal.encoded()
        XCTAssertEqual(bytes[8], 8)
        XCTAssertEqual(Array(bytes[9...]), request.protobuf())
        XCTAssertEqual(try Proposal(decoding: bytes), proposal)
    }
}
