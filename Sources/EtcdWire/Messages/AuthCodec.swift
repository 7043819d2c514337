// Protobuf codec for the Auth messages declared in AuthMessages.swift.

extension AuthEnableRequest: EmptyMessage {}
extension AuthDisableRequest: EmptyMessage {}
extension AuthStatusRequest: EmptyMessage {}
extension AuthUserListRequest: EmptyMessage {}
extension AuthRoleListRequest: EmptyMessage {}
extension AuthEnableResponse: HeaderOnlyResponse {}
extension AuthDisableResponse: HeaderOnlyResponse {}
extension AuthUserAddResponse: HeaderOnlyResponse {}
extension AuthUserDeleteResponse: HeaderOnlyResponse {}
extension AuthUserChangePasswordResponse: HeaderOnlyResponse {}
extension AuthUserGrantRoleResponse: HeaderOnlyResponse {}
extension AuthUserRevokeRoleResponse: HeaderOnlyResponse {}
extension AuthRoleAddResponse: HeaderOnlyResponse {}
extension AuthRoleDeleteResponse: HeaderOnlyResponse {}
extension AuthRoleGrantPermissionResponse: HeaderOnlyResponse {}
extension AuthRoleRevokePermissionResponse: HeaderOnlyResponse {}

extension AuthenticateRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: password = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
        sink.string(2, password)
    }
}

extension AuthenticateResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: token = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.string(2, token)
    }
}

extension AuthStatusResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: enabled = try reader.bool(tag)
            case 3: authRevision = try reader.uint64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.bool(2, enabled)
        sink.uint64(3, authRevision)
    }
}

extension AuthUserAddRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: password = try reader.string(tag)
            case 3: try reader.message(tag, into: &options)
            case 4: hashedPassword = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
        sink.string(2, password)
        sink.message(3, options)
        sink.string(4, hashedPassword)
    }
}

extension AuthUserGetRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
    }
}

extension AuthUserGetResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: roles.append(try reader.string(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedStrings(2, roles)
    }
}

extension AuthUserDeleteRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
    }
}

extension AuthUserChangePasswordRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: password = try reader.string(tag)
            case 3: hashedPassword = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
        sink.string(2, password)
        sink.string(3, hashedPassword)
    }
}

extension AuthUserGrantRoleRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: user = try reader.string(tag)
            case 2: role = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, user)
        sink.string(2, role)
    }
}

extension AuthUserRevokeRoleRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: role = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
        sink.string(2, role)
    }
}

extension AuthUserListResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: users.append(try reader.string(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedStrings(2, users)
    }
}

extension AuthRoleAddRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
    }
}

extension AuthRoleGetRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: role = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, role)
    }
}

extension AuthRoleGetResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: perm.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedMessages(2, perm)
    }
}

extension AuthRoleListResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: roles.append(try reader.string(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedStrings(2, roles)
    }
}

extension AuthRoleDeleteRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: role = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, role)
    }
}

extension AuthRoleGrantPermissionRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: try reader.message(tag, into: &perm)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, name)
        sink.message(2, perm)
    }
}

extension AuthRoleRevokePermissionRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: role = try reader.string(tag)
            case 2: key = try reader.bytes(tag)
            case 3: rangeEnd = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, role)
        sink.bytes(2, key)
        sink.bytes(3, rangeEnd)
    }
}
