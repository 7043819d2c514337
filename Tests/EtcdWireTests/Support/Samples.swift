// Random samples of every wire message, and the list of message types with their protobuf names.

@testable import EtcdWire

protocol Sampled: ProtoMessage {
    static func sample(_ g: inout Gen) -> Self
}

/// A message type and its fully qualified protobuf name.
struct MessageKind {
    let protoName: String
    let type: any Sampled.Type

    init(_ protoName: String, _ type: any Sampled.Type) {
        self.protoName = protoName
        self.type = type
    }
}

let allKinds: [MessageKind] = [
    MessageKind("mvccpb.KeyValue", KeyValue.self),
    MessageKind("mvccpb.Event", Event.self),
    MessageKind("etcdserverpb.ResponseHeader", ResponseHeader.self),
    MessageKind("etcdserverpb.RangeRequest", RangeRequest.self),
    MessageKind("etcdserverpb.RangeResponse", RangeResponse.self),
    MessageKind("etcdserverpb.PutRequest", PutRequest.self),
    MessageKind("etcdserverpb.PutResponse", PutResponse.self),
    MessageKind("etcdserverpb.DeleteRangeRequest", DeleteRangeRequest.self),
    MessageKind("etcdserverpb.DeleteRangeResponse", DeleteRangeResponse.self),
    MessageKind("etcdserverpb.RequestOp", RequestOp.self),
    MessageKind("etcdserverpb.ResponseOp", ResponseOp.self),
    MessageKind("etcdserverpb.Compare", Compare.self),
    MessageKind("etcdserverpb.TxnRequest", TxnRequest.self),
    MessageKind("etcdserverpb.TxnResponse", TxnResponse.self),
    MessageKind("etcdserverpb.CompactionRequest", CompactionRequest.self),
    MessageKind("etcdserverpb.CompactionResponse", CompactionResponse.self),
    MessageKind("etcdserverpb.WatchRequest", WatchRequest.self),
    MessageKind("etcdserverpb.WatchCreateRequest", WatchCreateRequest.self),
    MessageKind("etcdserverpb.WatchCancelRequest", WatchCancelRequest.self),
    MessageKind("etcdserverpb.WatchProgressRequest", WatchProgressRequest.self),
    MessageKind("etcdserverpb.WatchResponse", WatchResponse.self),
    MessageKind("etcdserverpb.LeaseGrantRequest", LeaseGrantRequest.self),
    MessageKind("etcdserverpb.LeaseGrantResponse", LeaseGrantResponse.self),
    MessageKind("etcdserverpb.LeaseRevokeRequest", LeaseRevokeRequest.self),
    MessageKind("etcdserverpb.LeaseRevokeResponse", LeaseRevokeResponse.self),
    MessageKind("etcdserverpb.LeaseKeepAliveRequest", LeaseKeepAliveRequest.self),
    MessageKind("etcdserverpb.LeaseKeepAliveResponse", LeaseKeepAliveResponse.self),
    MessageKind("etcdserverpb.LeaseTimeToLiveRequest", LeaseTimeToLiveRequest.self),
    MessageKind("etcdserverpb.LeaseTimeToLiveResponse", LeaseTimeToLiveResponse.self),
    MessageKind("etcdserverpb.LeaseLeasesRequest", LeaseLeasesRequest.self),
    MessageKind("etcdserverpb.LeaseStatus", LeaseStatus.self),
    MessageKind("etcdserverpb.LeaseLeasesResponse", LeaseLeasesResponse.self),
    MessageKind("etcdserverpb.Member", Member.self),
    MessageKind("etcdserverpb.MemberAddRequest", MemberAddRequest.self),
    MessageKind("etcdserverpb.MemberAddResponse", MemberAddResponse.self),
    MessageKind("etcdserverpb.MemberRemoveRequest", MemberRemoveRequest.self),
    MessageKind("etcdserverpb.MemberRemoveResponse", MemberRemoveResponse.self),
    MessageKind("etcdserverpb.MemberUpdateRequest", MemberUpdateRequest.self),
    MessageKind("etcdserverpb.MemberUpdateResponse", MemberUpdateResponse.self),
    MessageKind("etcdserverpb.MemberListRequest", MemberListRequest.self),
    MessageKind("etcdserverpb.MemberListResponse", MemberListResponse.self),
    MessageKind("etcdserverpb.MemberPromoteRequest", MemberPromoteRequest.self),
    MessageKind("etcdserverpb.MemberPromoteResponse", MemberPromoteResponse.self),
    MessageKind("etcdserverpb.AlarmRequest", AlarmRequest.self),
    MessageKind("etcdserverpb.AlarmMember", AlarmMember.self),
    MessageKind("etcdserverpb.AlarmResponse", AlarmResponse.self),
    MessageKind("etcdserverpb.StatusRequest", StatusRequest.self),
    MessageKind("etcdserverpb.DowngradeInfo", DowngradeInfo.self),
    MessageKind("etcdserverpb.StatusResponse", StatusResponse.self),
    MessageKind("etcdserverpb.DefragmentRequest", DefragmentRequest.self),
    MessageKind("etcdserverpb.DefragmentResponse", DefragmentResponse.self),
    MessageKind("etcdserverpb.HashRequest", HashRequest.self),
    MessageKind("etcdserverpb.HashResponse", HashResponse.self),
    MessageKind("etcdserverpb.HashKVRequest", HashKVRequest.self),
    MessageKind("etcdserverpb.HashKVResponse", HashKVResponse.self),
    MessageKind("etcdserverpb.SnapshotRequest", SnapshotRequest.self),
    MessageKind("etcdserverpb.SnapshotResponse", SnapshotResponse.self),
    MessageKind("etcdserverpb.MoveLeaderRequest", MoveLeaderRequest.self),
    MessageKind("etcdserverpb.MoveLeaderResponse", MoveLeaderResponse.self),
    MessageKind("etcdserverpb.DowngradeRequest", DowngradeRequest.self),
    MessageKind("etcdserverpb.DowngradeResponse", DowngradeResponse.self),
    MessageKind("authpb.UserAddOptions", UserAddOptions.self),
    MessageKind("authpb.User", AuthUser.self),
    MessageKind("authpb.Permission", AuthPermission.self),
    MessageKind("authpb.Role", AuthRole.self),
    MessageKind("etcdserverpb.AuthEnableRequest", AuthEnableRequest.self),
    MessageKind("etcdserverpb.AuthEnableResponse", AuthEnableResponse.self),
    MessageKind("etcdserverpb.AuthDisableRequest", AuthDisableRequest.self),
    MessageKind("etcdserverpb.AuthDisableResponse", AuthDisableResponse.self),
    MessageKind("etcdserverpb.AuthStatusRequest", AuthStatusRequest.self),
    MessageKind("etcdserverpb.AuthStatusResponse", AuthStatusResponse.self),
    MessageKind("etcdserverpb.AuthenticateRequest", AuthenticateRequest.self),
    MessageKind("etcdserverpb.AuthenticateResponse", AuthenticateResponse.self),
    MessageKind("etcdserverpb.AuthUserAddRequest", AuthUserAddRequest.self),
    MessageKind("etcdserverpb.AuthUserAddResponse", AuthUserAddResponse.self),
    MessageKind("etcdserverpb.AuthUserGetRequest", AuthUserGetRequest.self),
    MessageKind("etcdserverpb.AuthUserGetResponse", AuthUserGetResponse.self),
    MessageKind("etcdserverpb.AuthUserDeleteRequest", AuthUserDeleteRequest.self),
    MessageKind("etcdserverpb.AuthUserDeleteResponse", AuthUserDeleteResponse.self),
    MessageKind("etcdserverpb.AuthUserChangePasswordRequest", AuthUserChangePasswordRequest.self),
    MessageKind("etcdserverpb.AuthUserChangePasswordResponse", AuthUserChangePasswordResponse.self),
    MessageKind("etcdserverpb.AuthUserGrantRoleRequest", AuthUserGrantRoleRequest.self),
    MessageKind("etcdserverpb.AuthUserGrantRoleResponse", AuthUserGrantRoleResponse.self),
    MessageKind("etcdserverpb.AuthUserRevokeRoleRequest", AuthUserRevokeRoleRequest.self),
    MessageKind("etcdserverpb.AuthUserRevokeRoleResponse", AuthUserRevokeRoleResponse.self),
    MessageKind("etcdserverpb.AuthUserListRequest", AuthUserListRequest.self),
    MessageKind("etcdserverpb.AuthUserListResponse", AuthUserListResponse.self),
    MessageKind("etcdserverpb.AuthRoleAddRequest", AuthRoleAddRequest.self),
    MessageKind("etcdserverpb.AuthRoleAddResponse", AuthRoleAddResponse.self),
    MessageKind("etcdserverpb.AuthRoleGetRequest", AuthRoleGetRequest.self),
    MessageKind("etcdserverpb.AuthRoleGetResponse", AuthRoleGetResponse.self),
    MessageKind("etcdserverpb.AuthRoleListRequest", AuthRoleListRequest.self),
    MessageKind("etcdserverpb.AuthRoleListResponse", AuthRoleListResponse.self),
    MessageKind("etcdserverpb.AuthRoleDeleteRequest", AuthRoleDeleteRequest.self),
    MessageKind("etcdserverpb.AuthRoleDeleteResponse", AuthRoleDeleteResponse.self),
    MessageKind("etcdserverpb.AuthRoleGrantPermissionRequest", AuthRoleGrantPermissionRequest.self),
    MessageKind("etcdserverpb.AuthRoleGrantPermissionResponse", AuthRoleGrantPermissionResponse.self),
    MessageKind("etcdserverpb.AuthRoleRevokePermissionRequest", AuthRoleRevokePermissionRequest.self),
    MessageKind("etcdserverpb.AuthRoleRevokePermissionResponse", AuthRoleRevokePermissionResponse.self),
    MessageKind("v3lockpb.LockRequest", LockRequest.self),
    MessageKind("v3lockpb.LockResponse", LockResponse.self),
    MessageKind("v3lockpb.UnlockRequest", UnlockRequest.self),
    MessageKind("v3lockpb.UnlockResponse", UnlockResponse.self),
    MessageKind("v3electionpb.CampaignRequest", CampaignRequest.self),
    MessageKind("v3electionpb.CampaignResponse", CampaignResponse.self),
    MessageKind("v3electionpb.LeaderKey", LeaderKey.self),
    MessageKind("v3electionpb.LeaderRequest", LeaderRequest.self),
    MessageKind("v3electionpb.LeaderResponse", LeaderResponse.self),
    MessageKind("v3electionpb.ResignRequest", ResignRequest.self),
    MessageKind("v3electionpb.ResignResponse", ResignResponse.self),
    MessageKind("v3electionpb.ProclaimRequest", ProclaimRequest.self),
    MessageKind("v3electionpb.ProclaimResponse", ProclaimResponse.self),
    MessageKind("grpc.health.v1.HealthCheckRequest", HealthCheckRequest.self),
    MessageKind("grpc.health.v1.HealthCheckResponse", HealthCheckResponse.self),
]

// MARK: - Shared shapes

/// Messages without fields.
protocol SampledEmpty: Sampled {}
extension SampledEmpty {
    static func sample(_ g: inout Gen) -> Self { Self() }
}

/// Responses whose only field is the header.
protocol SampledHeaderOnly: Sampled {
    var header: ResponseHeader? { get set }
}
extension SampledHeaderOnly {
    static func sample(_ g: inout Gen) -> Self {
        var m = Self()
        m.header = g.optional(ResponseHeader.sample)
        return m
    }
}

/// Membership responses: header plus members.
protocol SampledMemberList: Sampled {
    var header: ResponseHeader? { get set }
    var members: [Member] { get set }
}
extension SampledMemberList {
    static func sample(_ g: inout Gen) -> Self {
        var m = Self()
        m.header = g.optional(ResponseHeader.sample)
        m.members = g.array(Member.sample)
        return m
    }
}

extension WatchProgressRequest: SampledEmpty {}
extension LeaseLeasesRequest: SampledEmpty {}
extension StatusRequest: SampledEmpty {}
extension DefragmentRequest: SampledEmpty {}
extension HashRequest: SampledEmpty {}
extension SnapshotRequest: SampledEmpty {}
extension AuthEnableRequest: SampledEmpty {}
extension AuthDisableRequest: SampledEmpty {}
extension AuthStatusRequest: SampledEmpty {}
extension AuthUserListRequest: SampledEmpty {}
extension AuthRoleListRequest: SampledEmpty {}

extension CompactionResponse: SampledHeaderOnly {}
extension LeaseRevokeResponse: SampledHeaderOnly {}
extension DefragmentResponse: SampledHeaderOnly {}
extension MoveLeaderResponse: SampledHeaderOnly {}
extension AuthEnableResponse: SampledHeaderOnly {}
extension AuthDisableResponse: SampledHeaderOnly {}
extension AuthUserAddResponse: SampledHeaderOnly {}
extension AuthUserDeleteResponse: SampledHeaderOnly {}
extension AuthUserChangePasswordResponse: SampledHeaderOnly {}
extension AuthUserGrantRoleResponse: SampledHeaderOnly {}
extension AuthUserRevokeRoleResponse: SampledHeaderOnly {}
extension AuthRoleAddResponse: SampledHeaderOnly {}
extension AuthRoleDeleteResponse: SampledHeaderOnly {}
extension AuthRoleGrantPermissionResponse: SampledHeaderOnly {}
extension AuthRoleRevokePermissionResponse: SampledHeaderOnly {}
extension UnlockResponse: SampledHeaderOnly {}
extension ResignResponse: SampledHeaderOnly {}
extension ProclaimResponse: SampledHeaderOnly {}

extension MemberRemoveResponse: SampledMemberList {}
extension MemberUpdateResponse: SampledMemberList {}
extension MemberListResponse: SampledMemberList {}
extension MemberPromoteResponse: SampledMemberList {}
