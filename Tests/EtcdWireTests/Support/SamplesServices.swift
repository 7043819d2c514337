// Random samples of the Watch, Lease, Cluster, Maintenance, Lock, Election and Health messages.

@testable import EtcdWire

extension WatchRequest: Sampled {
    static func sample(_ g: inout Gen) -> WatchRequest {
        switch g.below(4) {
        case 0: return WatchRequest()
        case 1: return WatchRequest(.create(.sample(&g)))
        case 2: return WatchRequest(.cancel(.sample(&g)))
        default: return WatchRequest(.progress(WatchProgressRequest()))
        }
    }
}

extension WatchCreateRequest: Sampled {
    static func sample(_ g: inout Gen) -> WatchCreateRequest {
        var m = WatchCreateRequest()
        m.key = g.bytes()
        m.rangeEnd = g.bytes()
        m.startRevision = g.int64()
        m.progressNotify = g.bool()
        m.filters = g.array { $0.enumValue() }
        m.prevKV = g.bool()
        m.watchID = g.int64()
        m.fragment = g.bool()
        return m
    }
}

extension WatchCancelRequest: Sampled {
    static func sample(_ g: inout Gen) -> WatchCancelRequest {
        var m = WatchCancelRequest()
        m.watchID = g.int64()
        return m
    }
}

extension WatchResponse: Sampled {
    static func sample(_ g: inout Gen) -> WatchResponse {
        var m = WatchResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.watchID = g.int64()
        m.created = g.bool()
        m.canceled = g.bool()
        m.compactRevision = g.int64()
        m.cancelReason = g.string()
        m.fragment = g.bool()
        m.events = g.array(Event.sample)
        return m
    }
}

extension LeaseGrantRequest: Sampled {
    static func sample(_ g: inout Gen) -> LeaseGrantRequest {
        var m = LeaseGrantRequest()
        m.ttl = g.int64()
        m.id = g.int64()
        return m
    }
}

extension LeaseGrantResponse: Sampled {
    static func sample(_ g: inout Gen) -> LeaseGrantResponse {
        var m = LeaseGrantResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.id = g.int64()
        m.ttl = g.int64()
        m.error = g.string()
        return m
    }
}

extension LeaseRevokeRequest: Sampled {
    static func sample(_ g: inout Gen) -> LeaseRevokeRequest {
        var m = LeaseRevokeRequest()
        m.id = g.int64()
        return m
    }
}

extension LeaseKeepAliveRequest: Sampled {
    static func sample(_ g: inout Gen) -> LeaseKeepAliveRequest {
        var m = LeaseKeepAliveRequest()
        m.id = g.int64()
        return m
    }
}

extension LeaseKeepAliveResponse: Sampled {
    static func sample(_ g: inout Gen) -> LeaseKeepAliveResponse {
        var m = LeaseKeepAliveResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.id = g.int64()
        m.ttl = g.int64()
        return m
    }
}

extension LeaseTimeToLiveRequest: Sampled {
    static func sample(_ g: inout Gen) -> LeaseTimeToLiveRequest {
        var m = LeaseTimeToLiveRequest()
        m.id = g.int64()
        m.keys = g.bool()
        return m
    }
}

extension LeaseTimeToLiveResponse: Sampled {
    static func sample(_ g: inout Gen) -> LeaseTimeToLiveResponse {
        var m = LeaseTimeToLiveResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.id = g.int64()
        m.ttl = g.int64()
        m.grantedTTL = g.int64()
        m.keys = g.array { $0.bytes() }
        return m
    }
}

extension LeaseStatus: Sampled {
    static func sample(_ g: inout Gen) -> LeaseStatus {
        var m = LeaseStatus()
        m.id = g.int64()
        return m
    }
}

extension LeaseLeasesResponse: Sampled {
    static func sample(_ g: inout Gen) -> LeaseLeasesResponse {
        var m = LeaseLeasesResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.leases = g.array(LeaseStatus.sample)
        return m
    }
}

extension Member: Sampled {
    static func sample(_ g: inout Gen) -> Member {
        var m = Member()
        m.id = g.uint64()
        m.name = g.string()
        m.peerURLs = g.array { $0.string() }
        m.clientURLs = g.array { $0.string() }
        m.isLearner = g.bool()
        return m
    }
}

extension MemberAddRequest: Sampled {
    static func sample(_ g: inout Gen) -> MemberAddRequest {
        var m = MemberAddRequest()
        m.peerURLs = g.array { $0.string() }
        m.isLearner = g.bool()
        return m
    }
}

extension MemberAddResponse: Sampled {
    static func sample(_ g: inout Gen) -> MemberAddResponse {
        var m = MemberAddResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.member = g.optional(Member.sample)
        m.members = g.array(Member.sample)
        return m
    }
}

extension MemberRemoveRequest: Sampled {
    static func sample(_ g: inout Gen) -> MemberRemoveRequest {
        var m = MemberRemoveRequest()
        m.id = g.uint64()
        return m
    }
}

extension MemberUpdateRequest: Sampled {
    static func sample(_ g: inout Gen) -> MemberUpdateRequest {
        var m = MemberUpdateRequest()
        m.id = g.uint64()
        m.peerURLs = g.array { $0.string() }
        return m
    }
}

extension MemberListRequest: Sampled {
    static func sample(_ g: inout Gen) -> MemberListRequest {
        var m = MemberListRequest()
        m.linearizable = g.bool()
        return m
    }
}

extension MemberPromoteRequest: Sampled {
    static func sample(_ g: inout Gen) -> MemberPromoteRequest {
        var m = MemberPromoteRequest()
        m.id = g.uint64()
        return m
    }
}

extension AlarmRequest: Sampled {
    static func sample(_ g: inout Gen) -> AlarmRequest {
        var m = AlarmRequest()
        m.action = g.enumValue()
        m.memberID = g.uint64()
        m.alarm = g.enumValue()
        return m
    }
}

extension AlarmMember: Sampled {
    static func sample(_ g: inout Gen) -> AlarmMember {
        var m = AlarmMember()
        m.memberID = g.uint64()
        m.alarm = g.enumValue()
        return m
    }
}

extension AlarmResponse: Sampled {
    static func sample(_ g: inout Gen) -> AlarmResponse {
        var m = AlarmResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.alarms = g.array(AlarmMember.sample)
        return m
    }
}

extension DowngradeInfo: Sampled {
    static func sample(_ g: inout Gen) -> DowngradeInfo {
        var m = DowngradeInfo()
        m.enabled = g.bool()
        m.targetVersion = g.string()
        return m
    }
}

extension StatusResponse: Sampled {
    static func sample(_ g: inout Gen) -> StatusResponse {
        var m = StatusResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.version = g.string()
        m.dbSize = g.int64()
        m.leader = g.uint64()
        m.raftIndex = g.uint64()
        m.raftTerm = g.uint64()
        m.raftAppliedIndex = g.uint64()
        m.errors = g.array { $0.string() }
        m.dbSizeInUse = g.int64()
        m.isLearner = g.bool()
        m.storageVersion = g.string()
        m.dbSizeQuota = g.int64()
        m.downgradeInfo = g.optional(DowngradeInfo.sample)
        return m
    }
}

extension HashResponse: Sampled {
    static func sample(_ g: inout Gen) -> HashResponse {
        var m = HashResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.hash = g.uint32()
        return m
    }
}

extension HashKVRequest: Sampled {
    static func sample(_ g: inout Gen) -> HashKVRequest {
        var m = HashKVRequest()
        m.revision = g.int64()
        return m
    }
}

extension HashKVResponse: Sampled {
    static func sample(_ g: inout Gen) -> HashKVResponse {
        var m = HashKVResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.hash = g.uint32()
        m.compactRevision = g.int64()
        m.hashRevision = g.int64()
        return m
    }
}

extension SnapshotResponse: Sampled {
    static func sample(_ g: inout Gen) -> SnapshotResponse {
        var m = SnapshotResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.remainingBytes = g.uint64()
        m.blob = g.bytes()
        m.version = g.string()
        return m
    }
}

extension MoveLeaderRequest: Sampled {
    static func sample(_ g: inout Gen) -> MoveLeaderRequest {
        var m = MoveLeaderRequest()
        m.targetID = g.uint64()
        return m
    }
}

extension DowngradeRequest: Sampled {
    static func sample(_ g: inout Gen) -> DowngradeRequest {
        var m = DowngradeRequest()
        m.action = g.enumValue()
        m.version = g.string()
        return m
    }
}

extension DowngradeResponse: Sampled {
    static func sample(_ g: inout Gen) -> DowngradeResponse {
        var m = DowngradeResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.version = g.string()
        return m
    }
}

extension LockRequest: Sampled {
    static func sample(_ g: inout Gen) -> LockRequest {
        var m = LockRequest()
        m.name = g.bytes()
        m.lease = g.int64()
        return m
    }
}

extension LockResponse: Sampled {
    static func sample(_ g: inout Gen) -> LockResponse {
        var m = LockResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.key = g.bytes()
        return m
    }
}

extension UnlockRequest: Sampled {
    static func sample(_ g: inout Gen) -> UnlockRequest {
        var m = UnlockRequest()
        m.key = g.bytes()
        return m
    }
}

extension CampaignRequest: Sampled {
    static func sample(_ g: inout Gen) -> CampaignRequest {
        var m = CampaignRequest()
        m.name = g.bytes()
        m.lease = g.int64()
        m.value = g.bytes()
        return m
    }
}

extension CampaignResponse: Sampled {
    static func sample(_ g: inout Gen) -> CampaignResponse {
        var m = CampaignResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.leader = g.optional(LeaderKey.sample)
        return m
    }
}

extension LeaderKey: Sampled {
    static func sample(_ g: inout Gen) -> LeaderKey {
        var m = LeaderKey()
        m.name = g.bytes()
        m.key = g.bytes()
        m.rev = g.int64()
        m.lease = g.int64()
        return m
    }
}

extension LeaderRequest: Sampled {
    static func sample(_ g: inout Gen) -> LeaderRequest {
        var m = LeaderRequest()
        m.name = g.bytes()
        return m
    }
}

extension LeaderResponse: Sampled {
    static func sample(_ g: inout Gen) -> LeaderResponse {
        var m = LeaderResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.kv = g.optional(KeyValue.sample)
        return m
    }
}

extension ResignRequest: Sampled {
    static func sample(_ g: inout Gen) -> ResignRequest {
        var m = ResignRequest()
        m.leader = g.optional(LeaderKey.sample)
        return m
    }
}

extension ProclaimRequest: Sampled {
    static func sample(_ g: inout Gen) -> ProclaimRequest {
        var m = ProclaimRequest()
        m.leader = g.optional(LeaderKey.sample)
        m.value = g.bytes()
        return m
    }
}

extension HealthCheckRequest: Sampled {
    static func sample(_ g: inout Gen) -> HealthCheckRequest {
        var m = HealthCheckRequest()
        m.service = g.string()
        return m
    }
}

extension HealthCheckResponse: Sampled {
    static func sample(_ g: inout Gen) -> HealthCheckResponse {
        var m = HealthCheckResponse()
        m.status = g.enumValue()
        return m
    }
}
