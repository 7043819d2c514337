import EtcdWire
import GRPCTransport
import Lease

/// `etcdserverpb.Lease`: grants and revokes are commands; keep-alives, time-to-live and the
/// list are answered by the lease holder (this member) from its lessor, as in etcd.
struct LeaseService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        let leases = server.stateMachine.leases
        return [
            "LeaseGrant": unary(LeaseGrantRequest.self, LeaseGrantResponse.self) { request, _, reply in
                server.grantLease(request) { reply($0) }
            },
            "LeaseRevoke": unary(LeaseRevokeRequest.self, LeaseRevokeResponse.self) { request, _, reply in
                server.propose(.leaseRevoke(request)) { result in
                    reply(result.map { outcome in
                        guard case .leaseRevoke(var response) = outcome else { preconditionFailure("apply answered \(outcome) to a revoke") }
                        response.header = server.header(revision: response.header?.revision)
                        return response
                    })
                }
            },
            "LeaseTimeToLive": unary(LeaseTimeToLiveRequest.self, LeaseTimeToLiveResponse.self) { request, _, reply in
                // The remaining TTL is known only where the clocks run: on the leader.
                if server.isLeader {
                    reply(server.leaseTimeToLiveAsLeader(request))
                } else {
                    server.forwardToLeader(.leaseTimeToLive, request, as: LeaseTimeToLiveResponse.self) { result in
                        reply(result.map { response in
                            var response = response
                            response.header = server.header(revision: nil)
                            return response
                        })
                    }
                }
            },
            "LeaseLeases": unary(LeaseLeasesRequest.self, LeaseLeasesResponse.self) { _, _, reply in
                var response = LeaseLeasesResponse()
                response.header = server.header(revision: nil)
                response.leases = leases.idsByExpiry().map { id in
                    var status = LeaseStatus()
                    status.id = id
                    return status
                }
                reply(.success(response))
            },
            "LeaseKeepAlive": { call in
                LeaseKeepAliveStream(call: call, server: server).start()
            },
        ]
    }
}

extension EtcdServer {
    func leaseTimeToLiveAsLeader(_ request: LeaseTimeToLiveRequest) -> Result<LeaseTimeToLiveResponse, EtcdError> {
        guard isLeader else { return .failure(.notLeader) }
        var response = LeaseTimeToLiveResponse()
        response.header = header(revision: nil)
        response.id = request.id
        if let (remaining, lease) = stateMachine.leases.timeToLive(request.id) {
            response.ttl = remaining
            response.grantedTTL = lease.ttl
            if request.keys { response.keys = lease.sortedKeys }
        } else {
            response.ttl = -1  // etcd answers an unknown lease this way, not with an error
        }
        return .success(response)
    }

    /// A keep-alive a follower forwarded: renewed here, where the lease clocks run.
    func renewLeaseAsLeader(_ id: LeaseID, reply: @escaping @Sendable (Result<LeaseKeepAliveResponse, EtcdError>) -> Void) {
        var response = LeaseKeepAliveResponse()
        response.header = header(revision: nil)
        response.id = id
        let revokedAnswer = response  // TTL 0
        let waiter = ForwardedRenewal { reply(.success(revokedAnswer)) }
        switch stateMachine.leases.renew(id, waiter: waiter) {
        case .renewed(let ttl):
            response.ttl = ttl
            reply(.success(response))
        case .notFound:
            reply(.success(response))
        case .expired:
            break  // answered with TTL 0 by `waiter` once the revoke is applied
        case .notPrimary:
            reply(.failure(.notLeader))
        }
    }

    /// Grants a lease, choosing its ID first if the request has none (so every member applies
    /// the same ID). Shared by the Lease service and the sessions Lock and Election open.
    func grantLease(_ request: LeaseGrantRequest, reply: @escaping @Sendable (Result<LeaseGrantResponse, EtcdError>) -> Void) {
        var request = request
        if request.id == 0 { request.id = stateMachine.leases.nextID() }
        propose(.leaseGrant(request)) { result in
            reply(result.map { outcome in
                guard case .leaseGrant(var response) = outcome else { preconditionFailure("apply answered \(outcome) to a grant") }
                response.header = self.header(revision: response.header?.revision)
                return response
            })
        }
    }
}

/// Answers a forwarded keep-alive for an expired lease once its revoke has been applied.
private final class ForwardedRenewal: LeaseRevokeWaiter, @unchecked Sendable {
    private let answer: @Sendable () -> Void

    init(answer: @escaping @Sendable () -> Void) {
        self.answer = answer
    }

    func leaseRevoked(_ id: LeaseID) {
        answer()
    }
}
