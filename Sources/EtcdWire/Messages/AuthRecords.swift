// authpb: stored user and role records and the permission type, with their protobuf codec.
// Swift names carry an `Auth` prefix to stay clear of common type names.

/// `authpb.Permission.Type`.
public struct PermissionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let read = PermissionType(rawValue: 0)
    public static let write = PermissionType(rawValue: 1)
    public static let readWrite = PermissionType(rawValue: 2)
}

/// `authpb.UserAddOptions`.
public struct UserAddOptions: Hashable, Sendable {
    public var noPassword: Bool = false
    public init() {}
}

/// `authpb.User`: a stored user record.
public struct AuthUser: Hashable, Sendable {
    public var name: [UInt8] = []
    public var password: [UInt8] = []
    public var roles: [String] = []
    public var options: UserAddOptions? = nil
    public init() {}
}

/// `authpb.Permission`: access to a key or key range.
public struct AuthPermission: Hashable, Sendable {
    public var permType: PermissionType = .read
    public var key: [UInt8] = []
    public var rangeEnd: [UInt8] = []
    public init() {}
}

/// `authpb.Role`: a stored role record.
public struct AuthRole: Hashable, Sendable {
    public var name: [UInt8] = []
    public var keyPermission: [AuthPermission] = []
    public init() {}
}

// MARK: - Codec

extension PermissionType: ProtoEnum {}

extension UserAddOptions: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: noPassword = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bool(1, noPassword)
    }
}

extension AuthUser: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            case 2: password = try reader.bytes(tag)
            case 3: roles.append(try reader.string(tag))
            case 4: try reader.message(tag, into: &options)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
        sink.bytes(2, password)
        sink.repeatedStrings(3, roles)
        sink.message(4, options)
    }
}

extension AuthPermission: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: permType = try reader.enumValue(tag)
            case 2: key = try reader.bytes(tag)
            case 3: rangeEnd = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, permType)
        sink.bytes(2, key)
        sink.bytes(3, rangeEnd)
    }
}

extension AuthRole: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            case 2: keyPermission.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
        sink.repeatedMessages(2, keyPermission)
    }
}
