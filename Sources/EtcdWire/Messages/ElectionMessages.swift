// v3electionpb: the Election service's messages and their protobuf codec.

public struct CampaignRequest: Hashable, Sendable {
    public var name: [UInt8] = []
    public var lease: Int64 = 0
    /// The value the leader proclaims on winning.
    public var value: [UInt8] = []
    public init() {}
}

public struct CampaignResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var leader: LeaderKey? = nil
    public init() {}
}

/// Identifies an election's leader: the key it holds and the revision that created it.
public struct LeaderKey: Hashable, Sendable {
    public var name: [UInt8] = []
    public var key: [UInt8] = []
    public var rev: Int64 = 0
    public var lease: Int64 = 0
    public init() {}
}

public struct LeaderRequest: Hashable, Sendable {
    public var name: [UInt8] = []
    public init() {}
}

public struct LeaderResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var kv: KeyValue? = nil
    public init() {}
}

public struct ResignRequest: Hashable, Sendable {
    public var leader: LeaderKey? = nil
    public init() {}
}

public struct ResignResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct ProclaimRequest: Hashable, Sendable {
    public var leader: LeaderKey? = nil
    public var value: [UInt8] = []
    public init() {}
}

public struct ProclaimResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

// MARK: - Codec

extension CampaignRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            case 2: lease = try reader.int64(tag)
            case 3: value = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
        sink.int64(2, lease)
        sink.bytes(3, value)
    }
}

extension CampaignResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: try reader.message(tag, into: &leader)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.message(2, leader)
    }
}

extension LeaderKey: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            case 2: key = try reader.bytes(tag)
            case 3: rev = try reader.int64(tag)
            case 4: lease = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
        sink.bytes(2, key)
        sink.int64(3, rev)
        sink.int64(4, lease)
    }
}

extension LeaderRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
    }
}

extension LeaderResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: try reader.message(tag, into: &kv)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.message(2, kv)
    }
}

extension ResignRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &leader)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, leader)
    }
}

extension ResignResponse: HeaderOnlyResponse {}

extension ProclaimRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &leader)
            case 2: value = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, leader)
        sink.bytes(2, value)
    }
}

extension ProclaimResponse: HeaderOnlyResponse {}
