import EtcdWire
import GRPCTransport

/// `etcdserverpb.Cluster`: the member list from the applied log; adds, removals, updates and
/// promotions are Raft membership changes, checked first as etcd checks them (with
/// `--strict-reconfig-check`, etcd's default: a change that would leave too few started voters
/// for a quorum is refused).
struct ClusterService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        [
            "MemberList": unary(MemberListRequest.self, MemberListResponse.self) { _, _, reply in
                var response = MemberListResponse()
                response.header = server.membershipHeader()
                response.members = server.stateMachine.members.members
                reply(.success(response))
            },
            "MemberAdd": unary(MemberAddRequest.self, MemberAddResponse.self) { request, _, reply in
                server.addMember(request, reply: reply)
            },
            "MemberRemove": unary(MemberRemoveRequest.self, MemberRemoveResponse.self) { request, _, reply in
                server.removeMember(request.id) { result in
                    reply(result.map { members in
                        var response = MemberRemoveResponse()
                        response.header = server.membershipHeader()
                        response.members = members
                        return response
                    })
                }
            },
            "MemberUpdate": unary(MemberUpdateRequest.self, MemberUpdateResponse.self) { request, _, reply in
                server.updateMember(request) { result in
                    reply(result.map { members in
                        var response = MemberUpdateResponse()
                        response.header = server.membershipHeader()
                        response.members = members
                        return response
                    })
                }
            },
            "MemberPromote": unary(MemberPromoteRequest.self, MemberPromoteResponse.self) { request, _, reply in
                guard let member = server.stateMachine.members.member(request.id) else {
                    reply(.failure(.memberNotFound))
                    return
                }
                guard member.isLearner else {
                    reply(.failure(.memberNotLearner))
                    return
                }
                if server.isLeader {
                    server.promoteMemberAsLeader(request.id, reply: reply)
                } else {
                    server.forwardToLeader(.promoteMember, request, as: MemberPromoteResponse.self, reply: reply)
                }
            },
        ]
    }
}

extension EtcdServer {
    /// etcd leaves the revision out of membership responses.
    func membershipHeader() -> ResponseHeader {
        var header = header(revision: nil)
        header.revision = 0
        return header
    }

    func addMember(_ request: MemberAddRequest, reply: @escaping @Sendable (Result<MemberAddResponse, EtcdError>) -> Void) {
        let members = stateMachine.members.members
        guard !request.peerURLs.isEmpty,
              request.peerURLs.allSatisfy({ (try? EndpointURL(parsing: $0, flag: "peer-urls")) != nil }) else {
            reply(.failure(.memberBadURLs))
            return
        }
        if members.contains(where: { !Set($0.peerURLs).isDisjoint(with: request.peerURLs) }) {
            reply(.failure(.peerURLExists))
            return
        }
        if request.isLearner {
            // etcd allows one learner at a time.
            guard !members.contains(where: \.isLearner) else {
                reply(.failure(.tooManyLearners))
                return
            }
        } else {
            // The new voter is not started yet: the started voters must still make a quorum.
            let voters = members.filter { !$0.isLearner }
            let started = voters.filter { isConnected(to: $0.id) }.count
            guard started >= (voters.count + 1) / 2 + 1 else {
                reply(.failure(.memberNotEnoughStarted))
                return
            }
        }
        var member = Member()
        member.peerURLs = request.peerURLs
        member.isLearner = request.isLearner
        // As etcd's MemberAdd: the peer URLs and the time make the ID.
        member.id = MemberIdentity.memberID(peerURLs: request.peerURLs, clusterToken: "\(unixTimeMilliseconds() / 1000)")
        guard stateMachine.members.member(member.id) == nil, !stateMachine.members.wasRemoved(member.id) else {
            reply(.failure(.memberExists))
            return
        }
        let added = member
        let change = MembershipRequest(kind: request.isLearner ? .addLearner : .addVoter, member: added)
        raftLoop.changeMembership(change) { result in
            reply(result.map {
                var response = MemberAddResponse()
                response.header = self.membershipHeader()
                response.member = added
                response.members = self.stateMachine.members.members
                return response
            })
        }
    }

    func removeMember(_ id: UInt64, reply: @escaping @Sendable (Result<[Member], EtcdError>) -> Void) {
        let members = stateMachine.members.members
        guard let removed = members.first(where: { $0.id == id }) else {
            reply(.failure(.memberNotFound))
            return
        }
        if !removed.isLearner {
            // The voters left must still have a quorum of started members.
            let remaining = members.filter { !$0.isLearner && $0.id != id }
            let started = remaining.filter { isConnected(to: $0.id) }.count
            guard started >= remaining.count / 2 + 1 else {
                reply(.failure(.memberNotEnoughStarted))
                return
            }
        }
        var member = Member()
        member.id = id
        raftLoop.changeMembership(MembershipRequest(kind: .removeNode, member: member)) { result in
            reply(result.map { self.stateMachine.members.members })
        }
    }

    func updateMember(_ request: MemberUpdateRequest, reply: @escaping @Sendable (Result<[Member], EtcdError>) -> Void) {
        let members = stateMachine.members.members
        guard members.contains(where: { $0.id == request.id }) else {
            reply(.failure(.memberNotFound))
            return
        }
        guard !request.peerURLs.isEmpty,
              request.peerURLs.allSatisfy({ (try? EndpointURL(parsing: $0, flag: "peer-urls")) != nil }) else {
            reply(.failure(.memberBadURLs))
            return
        }
        if members.contains(where: { $0.id != request.id && !Set($0.peerURLs).isDisjoint(with: request.peerURLs) }) {
            reply(.failure(.peerURLExists))
            return
        }
        var member = Member()
        member.id = request.id
        member.peerURLs = request.peerURLs
        raftLoop.changeMembership(MembershipRequest(kind: .updateNode, member: member)) { result in
            reply(result.map { self.stateMachine.members.members })
        }
    }

    /// Promotes a learner; only the leader can tell whether it has caught up.
    func promoteMemberAsLeader(_ id: UInt64, reply: @escaping @Sendable (Result<MemberPromoteResponse, EtcdError>) -> Void) {
        guard stateMachine.members.member(id)?.isLearner == true else {
            reply(.failure(stateMachine.members.member(id) == nil ? .memberNotFound : .memberNotLearner))
            return
        }
        var member = Member()
        member.id = id
        raftLoop.changeMembership(MembershipRequest(kind: .addVoter, member: member, requiresInSyncLearner: true)) { result in
            reply(result.map {
                var response = MemberPromoteResponse()
                response.header = self.membershipHeader()
                response.members = self.stateMachine.members.members
                return response
            })
        }
    }
}
