// Watch responses built from events encoded once: a write seen by a thousand watchers is
// encoded once, and each watcher's response copies the bytes.

/// One watch event in wire form, shared by every response that carries it.
public struct EncodedEvent: Sendable {
    public let type: EventType
    /// Fields 1 and 2 of `mvccpb.Event`: the type and the key-value.
    let fields: [UInt8]
    /// Field 3 (prev_kv) with its tag and length; empty when the event has none.
    let prevKVField: [UInt8]

    public init(_ event: Event) {
        type = event.type
        var current = event
        current.prevKV = nil
        fields = current.protobuf()
        var previous = Event()  // type PUT is the default, so only prev_kv is written
        previous.prevKV = event.prevKV
        prevKVField = previous.protobuf()
    }

    func messageSize(withPrevKV: Bool) -> Int {
        fields.count + (withPrevKV ? prevKVField.count : 0)
    }

    /// What the event adds to a `WatchResponse`: the tag of field 11, the length, the message.
    public func responseFieldSize(withPrevKV: Bool) -> Int {
        let size = messageSize(withPrevKV: withPrevKV)
        return 1 + varintSize(UInt64(size)) + size
    }
}

extension WatchResponse {
    /// The encoding of this response with `events` as its events, each with its prev_kv if
    /// `withPrevKV`. The response's own `events` must be empty.
    public func protobuf(events: ArraySlice<EncodedEvent>, withPrevKV: Bool) -> [UInt8] {
        precondition(self.events.isEmpty, "events go in encoded, not in the response")
        var counter = SizeCounter()
        encode(to: &counter)
        var size = counter.total
        for event in events {
            size += event.responseFieldSize(withPrevKV: withPrevKV)
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ProtoWriter(output: buffer, messageSizes: counter.messageSizes)
            encode(to: &writer)
            // Field 11 has the highest number, so appending it keeps the canonical field order.
            for event in events {
                writer.writeTag(11, .lengthDelimited)
                writer.writeVarint(UInt64(event.messageSize(withPrevKV: withPrevKV)))
                writer.writeRaw(event.fields)
                if withPrevKV {
                    writer.writeRaw(event.prevKVField)
                }
            }
            precondition(writer.count == size, "ProtoWriter: size pass disagrees with write pass")
            initialized = size
        }
    }

    /// The size of this response's encoding as it stands.
    public var encodedSize: Int {
        var counter = SizeCounter()
        encode(to: &counter)
        return counter.total
    }
}
