import Dispatch
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
            "Alarm": unary(AlarmRequest.self, AlarmResponse.self) { request, context, reply in
                // etcd 3.4 leaves the header of every Alarm response empty.
                guard request.action == .get else {
                    // Raising or disarming is a command, applied by every member in log order.
                    server.propose(.alarm(request)) { result in
                        reply(result.map { outcome in
                            guard case .alarm(let response) = outcome else { preconditionFailure("apply answered \(outcome) to an alarm") }
                            return response
                        })
                    }
                    return
                }
                // etcd reads the alarms through the log; a linearizable read sees the same ones.
                server.linearizableRead(on: context.call.eventLoop) { ready in
                    reply(ready.map {
                        var response = AlarmResponse()
                        response.alarms = server.stateMachine.activeAlarms(request.alarm)
                        return response
                    })
                }
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
            "Defragment": unary(DefragmentRequest.self, DefragmentResponse.self) { _, _, reply in
                defragment(reply)
            },
            "Hash": unary(HashRequest.self, HashResponse.self) { _, _, reply in
                hash(reply)
            },
            "HashKV": unary(HashKVRequest.self, HashKVResponse.self) { request, _, reply in
                hashKV(at: request.revision, reply)
            },
            "Snapshot": { call in
                SnapshotStream(call: call, server: server).start()
            },
        ]
    }

    /// The store lives in memory; on disk it is a snapshot and the WAL after it. Defragmenting
    /// saves a snapshot of the applied state now, which releases the WAL segments and older
    /// snapshots it makes unnecessary (docs/operations.md, "Defragmentation"). etcd's answer has
    /// no header.
    private func defragment(_ reply: @escaping @Sendable (Result<DefragmentResponse, EtcdError>) -> Void) {
        server.logger.info("starting defragment")
        server.raftLoop.saveSnapshotNow { result in
            server.logger.info("finished defragment", metadata: [
                "db-size-bytes": "\(MemberDiskUsage.bytes(dataDirectory: server.configuration.dataDirectory))",
            ])
            reply(result.map { DefragmentResponse() })
        }
    }

    /// CRC-32C over the store and lease snapshots (`StateHash`), computed off the event loop
    /// since it is a pass over the whole store; the header names the revision hashed.
    private func hash(_ reply: @escaping @Sendable (Result<HashResponse, EtcdError>) -> Void) {
        DispatchQueue.global().async { [server] in
            let state = server.stateMachine.capture()
            var response = HashResponse()
            response.hash = state.hash
            response.header = server.header(revision: state.revision)
            reply(.success(response))
        }
    }

    /// etcd's HashKV (`MVCCStore.hashKV`): the header carries the current revision, and a
    /// compacted or future revision fails as in etcd.
    private func hashKV(at revision: Int64, _ reply: @escaping @Sendable (Result<HashKVResponse, EtcdError>) -> Void) {
        DispatchQueue.global().async { [server] in
            do {
                // The header is built outside the state machine's lock, which it takes itself.
                let (hashed, current) = try server.stateMachine.withStore { store in
                    (try store.hashKV(upTo: revision), store.currentRevision)
                }
                var response = HashKVResponse()
                response.hash = hashed.hash
                response.compactRevision = hashed.compactRevision
                response.header = server.header(revision: current)
                reply(.success(response))
            } catch {
                reply(.failure(EtcdError.from(error)))
            }
        }
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
