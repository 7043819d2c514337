// etcdserverpb: the Auth service's requests and responses. The codec is in AuthCodec.swift.

public struct AuthEnableRequest: Hashable, Sendable {
    public init() {}
}

public struct AuthEnableResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthDisableRequest: Hashable, Sendable {
    public init() {}
}

public struct AuthDisableResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

/// [3.5+]
public struct AuthStatusRequest: Hashable, Sendable {
    public init() {}
}

/// [3.5+]
public struct AuthStatusResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var enabled: Bool = false
    public var authRevision: UInt64 = 0
    public init() {}
}

public struct AuthenticateRequest: Hashable, Sendable {
    public var name: String = ""
    public var password: String = ""
    public init() {}
}

public struct AuthenticateResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var token: String = ""
    public init() {}
}

public struct AuthUserAddRequest: Hashable, Sendable {
    public var name: String = ""
    public var password: String = ""
    public var options: UserAddOptions? = nil
    /// [3.5+]
    public var hashedPassword: String = ""
    public init() {}
}

public struct AuthUserAddResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthUserGetRequest: Hashable, Sendable {
    public var name: String = ""
    public init() {}
}

public struct AuthUserGetResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var roles: [String] = []
    public init() {}
}

public struct AuthUserDeleteRequest: Hashable, Sendable {
    public var name: String = ""
    public init() {}
}

public struct AuthUserDeleteResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthUserChangePasswordRequest: Hashable, Sendable {
    public var name: String = ""
    public var password: String = ""
    /// [3.5+]
    public var hashedPassword: String = ""
    public init() {}
}

public struct AuthUserChangePasswordResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthUserGrantRoleRequest: Hashable, Sendable {
    public var user: String = ""
    public var role: String = ""
    public init() {}
}

public struct AuthUserGrantRoleResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthUserRevokeRoleRequest: Hashable, Sendable {
    public var name: String = ""
    public var role: String = ""
    public init() {}
}

public struct AuthUserRevokeRoleResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthUserListRequest: Hashable, Sendable {
    public init() {}
}

public struct AuthUserListResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var users: [String] = []
    public init() {}
}

public struct AuthRoleAddRequest: Hashable, Sendable {
    public var name: String = ""
    public init() {}
}

public struct AuthRoleAddResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthRoleGetRequest: Hashable, Sendable {
    public var role: String = ""
    public init() {}
}

public struct AuthRoleGetResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var perm: [AuthPermission] = []
    public init() {}
}

public struct AuthRoleListRequest: Hashable, Sendable {
    public init() {}
}

public struct AuthRoleListResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var roles: [String] = []
    public init() {}
}

public struct AuthRoleDeleteRequest: Hashable, Sendable {
    public var role: String = ""
    public init() {}
}

public struct AuthRoleDeleteResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthRoleGrantPermissionRequest: Hashable, Sendable {
    /// The role to grant to.
    public var name: String = ""
    public var perm: AuthPermission? = nil
    public init() {}
}

public struct AuthRoleGrantPermissionResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct AuthRoleRevokePermissionRequest: Hashable, Sendable {
    public var role: String = ""
    public var key: [UInt8] = []
    public var rangeEnd: [UInt8] = []
    public init() {}
}

public struct AuthRoleRevokePermissionResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}
