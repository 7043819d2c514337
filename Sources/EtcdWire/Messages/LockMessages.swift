// v3lockpb: the Lock service's messages and their protobuf codec.

public struct LockRequest: Hashable, Sendable {
    /// The lock's name; the held lock's key is created under this prefix.
    public var name: [UInt8] = []
    public var lease: Int64 = 0
    public init() {}
}

public struct LockResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    /// The key that holds the lock until it is unlocked or its lease ends.
    public var key: [UInt8] = []
    public init() {}
}

public struct UnlockRequest: Hashable, Sendable {
    public var key: [UInt8] = []
    public init() {}
}

public struct UnlockResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

// MARK: - Codec

extension LockRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.bytes(tag)
            case 2: lease = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, name)
        sink.int64(2, lease)
    }
}

extension LockResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: key = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.bytes(2, key)
    }
}

extension UnlockRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
    }
}

extension UnlockResponse: HeaderOnlyResponse {}
