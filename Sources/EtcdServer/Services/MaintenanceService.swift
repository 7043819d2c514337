import EtcdWire
import GRPCTransport

/// `etcdserverpb.Maintenance`: each member answers for itself.
struct MaintenanceService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        [
            "Status": unary(StatusRequest.self, StatusResponse.self) { _, _, reply in
                reply(.success(server.status()))
            },
            "Alarm": unary(AlarmRequest.self, AlarmResponse.self) { request, _, reply in
                // No alarm can be raised yet (quota and corruption checks come with the
                // persisted store), so the list is truthfully empty; changing alarms is refused.
                guard request.action == .get else {
                    reply(.failure(.unimplemented("swift-etcd: activating or deactivating alarms is not implemented yet")))
                    return
                }
                // etcd 3.4 leaves the header of an Alarm response empty.
                reply(.success(AlarmResponse()))
            },
            "MoveLeader": unary(MoveLeaderRequest.self, MoveLeaderResponse.self) { request, _, reply in
                guard server.isLeader else {
                    reply(.failure(.notLeader))
                    return
                }
                guard let target = server.stateMachine.members.member(request.targetID), !target.isLearner else {
                    reply(.failure(.badLeaderTransferee))
                    return
                }
                guard target.id != server.memberID else {
                    var response = MoveLeaderResponse()
                    response.header = server.header(revision: nil)
                    reply(.success(response))
                    return
                }
                server.raftLoop.transferLeadership(to: target.id) { result in
                    reply(result.map {
                        var response = MoveLeaderResponse()
                        response.header = server.header(revision: nil)
                        return response
                    })
                }
            },
            "Defragment": notImplemented("Maintenance.Defragment"),
            "Hash": notImplemented("Maintenance.Hash"),
            "HashKV": notImplemented("Maintenance.HashKV"),
            "Snapshot": notImplemented("Maintenance.Snapshot"),
        ]
    }
}

/// `grpc.health.v1.Health`: the overall service `""` is SERVING while the member has a leader.
struct HealthService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        [
            "Check": unary(HealthCheckRequest.self, HealthCheckResponse.self) { request, _, reply in
                guard request.service.isEmpty else {
                    reply(.failure(EtcdError(code: .notFound, message: "unknown service")))
                    return
                }
                var response = HealthCheckResponse()
                response.status = .serving
                reply(.success(response))
            },
            "Watch": notImplemented("Health.Watch"),
        ]
    }
}

/// Services whose methods exist in etcd but are not built yet: each answers Unimplemented
/// with a message that says so, never a silent wrong answer.
enum PendingServices {
    static var all: [String: [String: MethodHandler]] {
        [
            "etcdserverpb.Auth": authMethods,
        ]
    }

    private static func table(_ service: String, _ methods: [String]) -> [String: MethodHandler] {
        Dictionary(uniqueKeysWithValues: methods.map { ($0, notImplemented("\(service).\($0)")) })
    }

    /// Auth is off and cannot be turned on yet; Authenticate answers exactly as etcd does with
    /// auth disabled, which lets clients configured with a user name connect.
    private static var authMethods: [String: MethodHandler] {
        var methods = table("Auth", [
            "AuthEnable", "AuthDisable", "UserAdd", "UserGet", "UserList", "UserDelete", "UserChangePassword",
            "UserGrantRole", "UserRevokeRole", "RoleAdd", "RoleGet", "RoleList", "RoleDelete",
            "RoleGrantPermission", "RoleRevokePermission",
        ])
        methods["Authenticate"] = unary(AuthenticateRequest.self, AuthenticateResponse.self) { _, _, reply in
            reply(.failure(.authNotEnabled))
        }
        return methods
    }
}

func notImplemented(_ what: String) -> MethodHandler {
    return { call in
        call.finish(GRPCStatus(.unimplemented("swift-etcd: \(what) is not implemented yet")))
    }
}
