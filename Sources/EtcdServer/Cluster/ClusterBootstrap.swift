import EtcdWire
import Logging
import NIOCore
import NIOPosix
import PeerTransport

/// Who this member is when its data directory is new, from the `--initial-cluster*` flags.
enum ClusterBootstrap {
    static func logStart(configuration: ServerConfiguration, logger: Logger) throws -> LogStart {
        switch configuration.initialClusterState {
        case .new:
            let members = foundingMembers(configuration)
            let own = members.first { $0.name == configuration.name }!
            let identity = LogIdentity(memberID: own.id, clusterID: MemberIdentity.clusterID(memberIDs: members.map(\.id)))
            logger.info("starting a new cluster", metadata: [
                "cluster-id": "\(String(identity.clusterID, radix: 16))",
                "members": "\(members.map { "\($0.name)=\(String($0.id, radix: 16))" })",
            ])
            return .newCluster(identity, members: members)
        case .existing:
            let joined = try join(configuration, logger: logger)
            return .join(joined.identity, members: joined.members)
        }
    }

    /// The founding members as every one of them derives them from the same flags: IDs from the
    /// peer URLs and cluster token, exactly as etcd computes them.
    static func foundingMembers(_ configuration: ServerConfiguration) -> [Member] {
        configuration.initialCluster.map { entry in
            var member = Member()
            member.name = entry.name
            member.peerURLs = entry.peerURLs.map(\.description)
            member.id = MemberIdentity.memberID(peerURLs: member.peerURLs, clusterToken: configuration.initialClusterToken)
            return member
        }
    }

    /// A member added with `member add` asks the running members (the others in
    /// `--initial-cluster`) for the membership, and finds itself in it by its peer URLs.
    static func join(_ configuration: ServerConfiguration, logger: Logger) throws -> (identity: LogIdentity, members: [Member]) {
        let ownURLs = Set(configuration.initialAdvertisePeerURLs.map(\.description))
        let others = configuration.initialCluster.filter { $0.name != configuration.name }.flatMap(\.peerURLs)
        guard !others.isEmpty else {
            throw ConfigurationError("--initial-cluster-state existing needs the running members in --initial-cluster, but it names only \(configuration.name)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var failures: [String] = []
        for url in others {
            let response: MemberListResponse
            do {
                let bytes = try PeerTransport.request(url: url.description, kind: PeerRequestKind.membership.rawValue, payload: [],
                                                      clusterID: 0, timeout: .seconds(5), group: group).wait()
                response = try MemberListResponse(protobuf: bytes[...])
            } catch {
                failures.append("\(url): \(error)")
                continue
            }
            guard let own = response.members.first(where: { Set($0.peerURLs) == ownURLs }) else {
                throw ConfigurationError("the cluster at \(url) has no member with peer URLs \(ownURLs.sorted().joined(separator: ",")); add it first with `etcdctl member add \(configuration.name) --peer-urls=\(ownURLs.sorted().joined(separator: ","))`")
            }
            let clusterID = response.header?.clusterID ?? 0
            logger.info("joining an existing cluster", metadata: [
                "cluster-id": "\(String(clusterID, radix: 16))", "member-id": "\(String(own.id, radix: 16))", "asked": "\(url)",
            ])
            return (LogIdentity(memberID: own.id, clusterID: clusterID), response.members)
        }
        throw ConfigurationError("cannot fetch the cluster's members from any peer in --initial-cluster: \(failures.joined(separator: "; "))")
    }
}
