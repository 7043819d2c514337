// etcdserverpb: the Watch service's stream messages and their protobuf codec.

/// `WatchCreateRequest.FilterType`: which events a watcher does not want.
public struct FilterType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let noPut = FilterType(rawValue: 0)
    public static let noDelete = FilterType(rawValue: 1)
}

public struct WatchRequest: Hashable, Sendable {
    /// The `request_union` oneof.
    public enum RequestUnion: Hashable, Sendable {
        case create(WatchCreateRequest)
        case cancel(WatchCancelRequest)
        case progress(WatchProgressRequest)
    }
    public var requestUnion: RequestUnion? = nil
    public init() {}
    public init(_ requestUnion: RequestUnion) { self.requestUnion = requestUnion }
}

public struct WatchCreateRequest: Hashable, Sendable {
    public var key: [UInt8] = []
    public var rangeEnd: [UInt8] = []
    public var startRevision: Int64 = 0
    public var progressNotify: Bool = false
    public var filters: [FilterType] = []
    public var prevKV: Bool = false
    public var watchID: Int64 = 0
    public var fragment: Bool = false
    public init() {}
}

public struct WatchCancelRequest: Hashable, Sendable {
    public var watchID: Int64 = 0
    public init() {}
}

public struct WatchProgressRequest: Hashable, Sendable {
    public init() {}
}

public struct WatchResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var watchID: Int64 = 0
    public var created: Bool = false
    public var canceled: Bool = false
    public var compactRevision: Int64 = 0
    public var cancelReason: String = ""
    public var fragment: Bool = false
    public var events: [Event] = []
    public init() {}
}

// MARK: - Codec

extension FilterType: ProtoEnum {}

extension WatchRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1:
                var value = WatchCreateRequest()
                if case .create(let old)? = requestUnion { value = old }
                try reader.message(tag, into: &value)
                requestUnion = .create(value)
            case 2:
                var value = WatchCancelRequest()
                if case .cancel(let old)? = requestUnion { value = old }
                try reader.message(tag, into: &value)
                requestUnion = .cancel(value)
            case 3:
                var value = WatchProgressRequest()
                try reader.message(tag, into: &value)
                requestUnion = .progress(value)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        switch requestUnion {
        case .create(let value)?: sink.message(1, value)
        case .cancel(let value)?: sink.message(2, value)
        case .progress(let value)?: sink.message(3, value)
        case nil: break
        }
    }
}

extension WatchCreateRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            case 2: rangeEnd = try reader.bytes(tag)
            case 3: startRevision = try reader.int64(tag)
            case 4: progressNotify = try reader.bool(tag)
            case 5: try reader.repeatedEnum(tag, into: &filters)
            case 6: prevKV = try reader.bool(tag)
            case 7: watchID = try reader.int64(tag)
            case 8: fragment = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
        sink.bytes(2, rangeEnd)
        sink.int64(3, startRevision)
        sink.bool(4, progressNotify)
        sink.packedEnums(5, filters)
        sink.bool(6, prevKV)
        sink.int64(7, watchID)
        sink.bool(8, fragment)
    }
}

extension WatchCancelRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: watchID = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, watchID)
    }
}

extension WatchProgressRequest: EmptyMessage {}

extension WatchResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: watchID = try reader.int64(tag)
            case 3: created = try reader.bool(tag)
            case 4: canceled = try reader.bool(tag)
            case 5: compactRevision = try reader.int64(tag)
            case 6: cancelReason = try reader.string(tag)
            case 7: fragment = try reader.bool(tag)
            case 11: events.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.int64(2, watchID)
        sink.bool(3, created)
        sink.bool(4, canceled)
        sink.int64(5, compactRevision)
        sink.string(6, cancelReason)
        sink.bool(7, fragment)
        sink.repeatedMessages(11, events)
    }
}
