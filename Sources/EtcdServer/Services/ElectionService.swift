import EtcdWire
import GRPCTransport

/// `v3electionpb.Election`, which etcd serves on top of its own KV and Lease API (clientv3's
/// Election); `etcdctl elect` does not use it, but other clients do.
struct ElectionService {
    let server: EtcdServer

    static let missingLeader = EtcdError(code: .unknown, message: #""leader" field must be provided"#)

    var methods: [String: MethodHandler] {
        let client = LocalClient(server: server)
        let election = ElectionRecipe(client: client)
        return [
            "Campaign": asyncUnary(CampaignRequest.self, CampaignResponse.self) { request in
                let lease = try await client.sessionLease(request.lease)
                return try await election.campaign(name: request.name, lease: lease, value: request.value)
            },
            "Proclaim": asyncUnary(ProclaimRequest.self, ProclaimResponse.self) { request in
                guard let leader = request.leader else { throw Self.missingLeader }
                // As in etcd, the value is put with the session's lease: a new one if none is given.
                let lease = try await client.sessionLease(leader.lease)
                var response = ProclaimResponse()
                response.header = try await election.proclaim(key: leader.key, revision: leader.rev, lease: lease, value: request.value)
                return response
            },
            "Resign": asyncUnary(ResignRequest.self, ResignResponse.self) { request in
                guard let leader = request.leader else { throw Self.missingLeader }
                _ = try await client.sessionLease(leader.lease)
                var response = ResignResponse()
                response.header = try await election.resign(key: leader.key, revision: leader.rev)
                return response
            },
            "Leader": asyncUnary(LeaderRequest.self, LeaderResponse.self) { request in
                try election.leader(name: request.name)
            },
            "Observe": asyncServerStream(LeaderRequest.self, LeaderResponse.self) { request, send in
                // etcd ends the stream without an error whatever stops the observation.
                try? await election.observe(name: request.name, send: send)
            },
        ]
    }
}
