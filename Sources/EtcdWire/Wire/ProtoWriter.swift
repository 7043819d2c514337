// ProtoWriter and SizeCounter: the two passes of encoding. One `encode(to:)` per message drives both.
//
// Pass 1 (SizeCounter) adds up the message size and records the size of every embedded message in
// the order they are met. Pass 2 (ProtoWriter) writes into a buffer of exactly that size and takes
// each embedded message's length prefix from the recorded list, so nothing is measured twice and
// no bytes are copied after being written.

/// Where an encoding goes: either counted or written.
protocol ProtoSink {
    mutating func writeVarint(_ value: UInt64)
    /// Raw bytes, without a length prefix.
    mutating func writeRaw(_ bytes: [UInt8])
    /// Raw UTF-8 of `text`, without a length prefix.
    mutating func writeRaw(_ text: String)
    /// Length prefix plus the encoding of `message`.
    mutating func writeMessage<M: WireMessage>(_ message: M)
}

/// The number of bytes `value` takes as a varint.
@inline(__always)
func varintSize(_ value: UInt64) -> Int {
    // Each 7 significant bits take one byte; zero still takes one.
    let bits = 64 - (value | 1).leadingZeroBitCount
    return (bits + 6) / 7
}

extension ProtoSink {
    @inline(__always)
    mutating func writeTag(_ field: Int, _ wireType: WireType) {
        writeVarint(UInt64(field << 3) | UInt64(wireType.rawValue))
    }

    // Singular proto3 scalars: nothing is written for the default value.

    mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(field, .varint)
        writeVarint(value)
    }

    mutating func int64(_ field: Int, _ value: Int64) {
        uint64(field, UInt64(bitPattern: value))
    }

    mutating func uint32(_ field: Int, _ value: UInt32) {
        uint64(field, UInt64(value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        uint64(field, value ? 1 : 0)
    }

    /// Enums are int32 on the wire: negative values sign-extend to 10 bytes.
    mutating func enumValue<E: ProtoEnum>(_ field: Int, _ value: E) {
        int64(field, Int64(value.rawValue))
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        writeRaw(value)
    }

    mutating func string(_ field: Int, _ value: String) {
        let count = value.utf8.count
        guard count > 0 else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(count))
        writeRaw(value)
    }

    // Members of a oneof: written even when zero, because being set is the information.

    mutating func oneofInt64(_ field: Int, _ value: Int64) {
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    mutating func oneofBytes(_ field: Int, _ value: [UInt8]) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        writeRaw(value)
    }

    // Embedded messages: a present message is written even when empty.

    mutating func message<M: WireMessage>(_ field: Int, _ value: M?) {
        guard let value else { return }
        writeTag(field, .lengthDelimited)
        writeMessage(value)
    }

    mutating func message<M: WireMessage>(_ field: Int, _ value: M) {
        writeTag(field, .lengthDelimited)
        writeMessage(value)
    }

    // Repeated fields.

    mutating func repeatedMessages<M: WireMessage>(_ field: Int, _ values: [M]) {
        for value in values {
            writeTag(field, .lengthDelimited)
            writeMessage(value)
        }
    }

    mutating func repeatedBytes(_ field: Int, _ values: [[UInt8]]) {
        for value in values {
            oneofBytes(field, value)
        }
    }

    mutating func repeatedStrings(_ field: Int, _ values: [String]) {
        for value in values {
            writeTag(field, .lengthDelimited)
            writeVarint(UInt64(value.utf8.count))
            writeRaw(value)
        }
    }

    /// Repeated enums are packed, as proto3 writes them.
    mutating func packedEnums<E: ProtoEnum>(_ field: Int, _ values: [E]) {
        guard !values.isEmpty else { return }
        var length = 0
        for value in values {
            length += varintSize(UInt64(bitPattern: Int64(value.rawValue)))
        }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(length))
        for value in values {
            writeVarint(UInt64(bitPattern: Int64(value.rawValue)))
        }
    }
}

/// Pass 1: counts bytes and records embedded-message sizes in visiting order.
struct SizeCounter: ProtoSink {
    private(set) var total = 0
    private(set) var messageSizes: [Int] = []

    mutating func writeVarint(_ value: UInt64) {
        total += varintSize(value)
    }

    mutating func writeRaw(_ bytes: [UInt8]) {
        total += bytes.count
    }

    mutating func writeRaw(_ text: String) {
        total += text.utf8.count
    }

    mutating func writeMessage<M: WireMessage>(_ message: M) {
        let slot = messageSizes.count
        messageSizes.append(0)
        let start = total
        message.encode(to: &self)
        let size = total - start
        messageSizes[slot] = size
        total += varintSize(UInt64(size))
    }
}

/// Pass 2: writes into a buffer sized by pass 1.
struct ProtoWriter: ProtoSink {
    private let output: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0
    private let messageSizes: [Int]
    private var nextMessage = 0

    init(output: UnsafeMutableBufferPointer<UInt8>, messageSizes: [Int]) {
        self.output = output
        self.messageSizes = messageSizes
    }

    mutating func writeVarint(_ value: UInt64) {
        precondition(output.count - count >= varintSize(value), "ProtoWriter: size pass disagrees with write pass")
        var value = value
        while value >= 0x80 {
            output[count] = UInt8(truncatingIfNeeded: value) | 0x80
            count += 1
            value >>= 7
        }
        output[count] = UInt8(value)
        count += 1
    }

    private mutating func copy(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        precondition(output.count - count >= source.count, "ProtoWriter: size pass disagrees with write pass")
        (output.baseAddress! + count).update(from: base, count: source.count)
        count += source.count
    }

    mutating func writeRaw(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { copy($0) }
    }

    mutating func writeRaw(_ text: String) {
        var text = text
        text.withUTF8 { copy($0) }
    }

    mutating func writeMessage<M: WireMessage>(_ message: M) {
        let size = messageSizes[nextMessage]
        nextMessage += 1
        writeVarint(UInt64(size))
        let start = count
        message.encode(to: &self)
        precondition(count - start == size, "ProtoWriter: size pass disagrees with write pass")
    }
}
