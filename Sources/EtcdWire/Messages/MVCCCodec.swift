// Protobuf codec for the mvccpb messages (KeyValue, Event).

extension EventType: ProtoEnum {}

extension KeyValue: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            case 2: createRevision = try reader.int64(tag)
            case 3: modRevision = try reader.int64(tag)
            case 4: version = try reader.int64(tag)
            case 5: value = try reader.bytes(tag)
            case 6: lease = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
        sink.int64(2, createRevision)
        sink.int64(3, modRevision)
        sink.int64(4, version)
        sink.bytes(5, value)
        sink.int64(6, lease)
    }
}

extension Event: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: type = try reader.enumValue(tag)
            case 2: try reader.message(tag, into: &kv)
            case 3: try reader.message(tag, into: &prevKV)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, type)
        sink.message(2, kv)
        sink.message(3, prevKV)
    }
}
