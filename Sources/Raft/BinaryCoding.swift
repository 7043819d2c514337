/// Why bytes could not be decoded into a Raft value.
public enum BinaryDecodingError: Error, Hashable, Sendable {
    /// The input ended inside a value.
    case truncated
    /// A variable-length integer ran past 10 bytes or 64 bits.
    case malformedVarint
    case unsupportedVersion(UInt8)
    case unknownMessageType(UInt8)
    case unknownEntryType(UInt8)
    case unknownConfChangeKind(UInt8)
    /// A length or count claims more than the input holds.
    case lengthExceedsInput
    /// Bytes remain after the value.
    case trailingBytes
}

/// Appends the compact encoding: integers as LEB128 varints, byte strings and arrays as a
/// varint count followed by their items.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func writeBytes(_ value: [UInt8]) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeIDs(_ ids: [UInt64]) {
        writeVarint(UInt64(ids.count))
        ids.forEach { writeVarint($0) }
    }
}

/// Reads what `BinaryWriter` wrote, checking every length against the input before allocating.
struct BinaryReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    private var remaining: Int { bytes.count - position }

    mutating func readByte() throws(BinaryDecodingError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readVarint() throws(BinaryDecodingError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let byte = try readByte()
            if shift == 63 && byte > 1 { throw .malformedVarint }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        throw .malformedVarint
    }

    /// A count of items each at least one byte long, so it can never exceed what is left.
    mutating func readCount() throws(BinaryDecodingError) -> Int {
        let count = try readVarint()
        guard count <= UInt64(remaining) else { throw .lengthExceedsInput }
        return Int(count)
    }

    mutating func readBytes() throws(BinaryDecodingError) -> [UInt8] {
        let count = try readCount()
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func readIDs() throws(BinaryDecodingError) -> [UInt64] {
        let count = try readCount()
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try readVarint()) }
        return ids
    }

    func expectEnd() throws(BinaryDecodingError) {
        guard isAtEnd else { throw .trailingBytes }
    }
}
