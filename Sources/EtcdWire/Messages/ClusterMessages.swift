// etcdserverpb: the Cluster service's membership messages and their protobuf codec.

public struct Member: Hashable, Sendable {
    public var id: UInt64 = 0
    public var name: String = ""
    public var peerURLs: [String] = []
    public var clientURLs: [String] = []
    public var isLearner: Bool = false
    public init() {}
}

public struct MemberAddRequest: Hashable, Sendable {
    public var peerURLs: [String] = []
    public var isLearner: Bool = false
    public init() {}
}

public struct MemberAddResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    /// The member just added.
    public var member: Member? = nil
    public var members: [Member] = []
    public init() {}
}

public struct MemberRemoveRequest: Hashable, Sendable {
    public var id: UInt64 = 0
    public init() {}
}

public struct MemberRemoveResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var members: [Member] = []
    public init() {}
}

public struct MemberUpdateRequest: Hashable, Sendable {
    public var id: UInt64 = 0
    public var peerURLs: [String] = []
    public init() {}
}

public struct MemberUpdateResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var members: [Member] = []
    public init() {}
}

public struct MemberListRequest: Hashable, Sendable {
    /// [3.5+] Whether the list must come from a linearizable read.
    public var linearizable: Bool = false
    public init() {}
}

public struct MemberListResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var members: [Member] = []
    public init() {}
}

public struct MemberPromoteRequest: Hashable, Sendable {
    public var id: UInt64 = 0
    public init() {}
}

public struct MemberPromoteResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var members: [Member] = []
    public init() {}
}

// MARK: - Codec

extension Member: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: id = try reader.uint64(tag)
            case 2: name = try reader.string(tag)
            case 3: peerURLs.append(try reader.string(tag))
            case 4: clientURLs.append(try reader.string(tag))
            case 5: isLearner = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, id)
        sink.string(2, name)
        sink.repeatedStrings(3, peerURLs)
        sink.repeatedStrings(4, clientURLs)
        sink.bool(5, isLearner)
    }
}

extension MemberAddRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: peerURLs.append(try reader.string(tag))
            case 2: isLearner = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.repeatedStrings(1, peerURLs)
        sink.bool(2, isLearner)
    }
}

extension MemberAddResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: try reader.message(tag, into: &member)
            case 3: members.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.message(2, member)
        sink.repeatedMessages(3, members)
    }
}

/// Membership requests whose only field is `1 ID uint64`.
protocol MemberIDRequest: WireMessage {
    var id: UInt64 { get set }
}

extension MemberIDRequest {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: id = try reader.uint64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, id)
    }
}

/// Membership responses made of `1 header` and `2 members`.
protocol MemberListingResponse: WireMessage {
    var header: ResponseHeader? { get set }
    var members: [Member] { get set }
}

extension MemberListingResponse {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: members.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedMessages(2, members)
    }
}

extension MemberRemoveRequest: MemberIDRequest {}
extension MemberRemoveResponse: MemberListingResponse {}
extension MemberUpdateResponse: MemberListingResponse {}
extension MemberListResponse: MemberListingResponse {}
extension MemberPromoteRequest: MemberIDRequest {}
extension MemberPromoteResponse: MemberListingResponse {}

extension MemberUpdateRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: id = try reader.uint64(tag)
            case 2: peerURLs.append(try reader.string(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, id)
        sink.repeatedStrings(2, peerURLs)
    }
}

extension MemberListRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: linearizable = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bool(1, linearizable)
    }
}
