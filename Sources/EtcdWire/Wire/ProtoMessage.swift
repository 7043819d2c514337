// ProtoMessage, the public face of every wire message, and the internal protocols the codecs share.

/// A protobuf message of the etcd API.
public protocol ProtoMessage: Hashable, Sendable {
    init()
    /// Decodes a message; throws WireError on malformed input.
    init(protobuf bytes: ArraySlice<UInt8>) throws
    /// The message's canonical encoding (fields in number order, defaults omitted).
    func protobuf() -> [UInt8]
}

/// What every message implements: merge fields from a reader, and list its fields to a sink.
protocol WireMessage: ProtoMessage {
    /// Reads fields until the end of the current message, keeping fields already set
    /// unless the input sets them again (protobuf merge semantics).
    mutating func merge(from reader: inout ProtoReader) throws
    /// Emits the fields in field-number order.
    func encode<S: ProtoSink>(to sink: inout S)
}

extension WireMessage {
    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        self = try ProtoReader.decode(bytes, as: Self.self)
    }

    public func protobuf() -> [UInt8] {
        var counter = SizeCounter()
        encode(to: &counter)
        let size = counter.total
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ProtoWriter(output: buffer, messageSizes: counter.messageSizes)
            encode(to: &writer)
            precondition(writer.count == size, "ProtoWriter: size pass disagrees with write pass")
            initialized = size
        }
    }
}

extension ProtoMessage {
    /// Decodes a message from a whole array.
    public init(protobuf bytes: [UInt8]) throws {
        try self.init(protobuf: bytes[...])
    }
}

/// A proto3 enum: an open set of Int32 values, so unknown numbers survive a round trip.
protocol ProtoEnum: RawRepresentable where RawValue == Int32 {
    init(rawValue: Int32)
}

/// A message without fields: everything on the wire is skipped.
protocol EmptyMessage: WireMessage {}

extension EmptyMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            try reader.skip(tag)
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {}
}

/// A response whose only field is `1 header ResponseHeader`.
protocol HeaderOnlyResponse: WireMessage {
    var header: ResponseHeader? { get set }
}

extension HeaderOnlyResponse {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
    }
}
