// etcdserverpb: the Lease service's messages and their protobuf codec.

public struct LeaseGrantRequest: Hashable, Sendable {
    public var ttl: Int64 = 0
    public var id: Int64 = 0
    public init() {}
}

public struct LeaseGrantResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var id: Int64 = 0
    public var ttl: Int64 = 0
    public var error: String = ""
    public init() {}
}

public struct LeaseRevokeRequest: Hashable, Sendable {
    public var id: Int64 = 0
    public init() {}
}

public struct LeaseRevokeResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct LeaseKeepAliveRequest: Hashable, Sendable {
    public var id: Int64 = 0
    public init() {}
}

public struct LeaseKeepAliveResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var id: Int64 = 0
    public var ttl: Int64 = 0
    public init() {}
}

public struct LeaseTimeToLiveRequest: Hashable, Sendable {
    public var id: Int64 = 0
    /// Whether to list the keys attached to the lease.
    public var keys: Bool = false
    public init() {}
}

public struct LeaseTimeToLiveResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var id: Int64 = 0
    public var ttl: Int64 = 0
    public var grantedTTL: Int64 = 0
    public var keys: [[UInt8]] = []
    public init() {}
}

public struct LeaseLeasesRequest: Hashable, Sendable {
    public init() {}
}

public struct LeaseStatus: Hashable, Sendable {
    public var id: Int64 = 0
    public init() {}
}

public struct LeaseLeasesResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var leases: [LeaseStatus] = []
    public init() {}
}

// MARK: - Codec

extension LeaseGrantRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: ttl = try reader.int64(tag)
            case 2: id = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, ttl)
        sink.int64(2, id)
    }
}

extension LeaseGrantResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            case 4: error = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.int64(2, id)
        sink.int64(3, ttl)
        sink.string(4, error)
    }
}

/// Lease messages whose only field is `1 ID int64`.
protocol LeaseIDMessage: WireMessage {
    var id: Int64 { get set }
}

extension LeaseIDMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: id = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, id)
    }
}

extension LeaseRevokeRequest: LeaseIDMessage {}
extension LeaseRevokeResponse: HeaderOnlyResponse {}
extension LeaseKeepAliveRequest: LeaseIDMessage {}
extension LeaseLeasesRequest: EmptyMessage {}
extension LeaseStatus: LeaseIDMessage {}

extension LeaseKeepAliveResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.int64(2, id)
        sink.int64(3, ttl)
    }
}

extension LeaseTimeToLiveRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: id = try reader.int64(tag)
            case 2: keys = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, id)
        sink.bool(2, keys)
    }
}

extension LeaseTimeToLiveResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: id = try reader.int64(tag)
            case 3: ttl = try reader.int64(tag)
            case 4: grantedTTL = try reader.int64(tag)
            case 5: keys.append(try reader.bytes(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.int64(2, id)
        sink.int64(3, ttl)
        sink.int64(4, grantedTTL)
        sink.repeatedBytes(5, keys)
    }
}

extension LeaseLeasesResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: leases.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedMessages(2, leases)
    }
}
