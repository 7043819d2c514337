// Random samples of the authpb records and the Auth service messages.

@testable import EtcdWire

extension UserAddOptions: Sampled {
    static func sample(_ g: inout Gen) -> UserAddOptions {
        var m = UserAddOptions()
        m.noPassword = g.bool()
        return m
    }
}

extension AuthUser: Sampled {
    static func sample(_ g: inout Gen) -> AuthUser {
        var m = AuthUser()
        m.name = g.bytes()
        m.password = g.bytes()
        m.roles = g.array { $0.string() }
        m.options = g.optional(UserAddOptions.sample)
        return m
    }
}

extension AuthPermission: Sampled {
    static func sample(_ g: inout Gen) -> AuthPermission {
        var m = AuthPermission()
        m.permType = g.enumValue()
        m.key = g.bytes()
        m.rangeEnd = g.bytes()
        return m
    }
}

extension AuthRole: Sampled {
    static func sample(_ g: inout Gen) -> AuthRole {
        var m = AuthRole()
        m.name = g.bytes()
        m.keyPermission = g.array(AuthPermission.sample)
        return m
    }
}

extension AuthStatusResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthStatusResponse {
        var m = AuthStatusResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.enabled = g.bool()
        m.authRevision = g.uint64()
        return m
    }
}

extension AuthenticateRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthenticateRequest {
        var m = AuthenticateRequest()
        m.name = g.string()
        m.password = g.string()
        return m
    }
}

extension AuthenticateResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthenticateResponse {
        var m = AuthenticateResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.token = g.string()
        return m
    }
}

extension AuthUserAddRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserAddRequest {
        var m = AuthUserAddRequest()
        m.name = g.string()
        m.password = g.string()
        m.options = g.optional(UserAddOptions.sample)
        m.hashedPassword = g.string()
        return m
    }
}

extension AuthUserGetRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserGetRequest {
        var m = AuthUserGetRequest()
        m.name = g.string()
        return m
    }
}

extension AuthUserGetResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserGetResponse {
        var m = AuthUserGetResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.roles = g.array { $0.string() }
        return m
    }
}

extension AuthUserDeleteRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserDeleteRequest {
        var m = AuthUserDeleteRequest()
        m.name = g.string()
        return m
    }
}

extension AuthUserChangePasswordRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserChangePasswordRequest {
        var m = AuthUserChangePasswordRequest()
        m.name = g.string()
        m.password = g.string()
        m.hashedPassword = g.string()
        return m
    }
}

extension AuthUserGrantRoleRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserGrantRoleRequest {
        var m = AuthUserGrantRoleRequest()
        m.user = g.string()
        m.role = g.string()
        return m
    }
}

extension AuthUserRevokeRoleRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserRevokeRoleRequest {
        var m = AuthUserRevokeRoleRequest()
        m.name = g.string()
        m.role = g.string()
        return m
    }
}

extension AuthUserListResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthUserListResponse {
        var m = AuthUserListResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.users = g.array { $0.string() }
        return m
    }
}

extension AuthRoleAddRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleAddRequest {
        var m = AuthRoleAddRequest()
        m.name = g.string()
        return m
    }
}

extension AuthRoleGetRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleGetRequest {
        var m = AuthRoleGetRequest()
        m.role = g.string()
        return m
    }
}

extension AuthRoleGetResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleGetResponse {
        var m = AuthRoleGetResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.perm = g.array(AuthPermission.sample)
        return m
    }
}

extension AuthRoleListResponse: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleListResponse {
        var m = AuthRoleListResponse()
        m.header = g.optional(ResponseHeader.sample)
        m.roles = g.array { $0.string() }
        return m
    }
}

extension AuthRoleDeleteRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleDeleteRequest {
        var m = AuthRoleDeleteRequest()
        m.role = g.string()
        return m
    }
}

extension AuthRoleGrantPermissionRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleGrantPermissionRequest {
        var m = AuthRoleGrantPermissionRequest()
        m.name = g.string()
        m.perm = g.optional(AuthPermission.sample)
        return m
    }
}

extension AuthRoleRevokePermissionRequest: Sampled {
    static func sample(_ g: inout Gen) -> AuthRoleRevokePermissionRequest {
        var m = AuthRoleRevokePermissionRequest()
        m.role = g.string()
        m.key = g.bytes()
        m.rangeEnd = g.bytes()
        return m
    }
}
