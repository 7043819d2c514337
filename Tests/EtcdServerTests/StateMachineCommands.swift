@testable import EtcdServer
import EtcdWire
import Lease

/// The commands the state machine tests apply, written the short way. A test case adopts the
/// protocol to have them.
protocol StateMachineCommands {}

extension StateMachineCommands {
    func put(_ key: String, value: String = "v", lease: LeaseID = 0) -> Command {
        var request = PutRequest()
        request.key = Array(key.utf8)
        request.value = Array(value.utf8)
        request.lease = lease
        return .put(request)
    }

    func delete(_ key: String, end: String = "") -> Command {
        var request = DeleteRangeRequest()
        request.key = Array(key.utf8)
        request.rangeEnd = Array(end.utf8)
        return .deleteRange(request)
    }

    func grant(_ id: LeaseID, ttl: Int64 = 10) -> Command {
        var request = LeaseGrantRequest()
        request.id = id
        request.ttl = ttl
        return .leaseGrant(request)
    }

    func revoke(_ id: LeaseID) -> Command {
        var request = LeaseRevokeRequest()
        request.id = id
        return .leaseRevoke(request)
    }
}
