// ProtoReader: a bounds-checked cursor that decodes protobuf wire format straight from a byte buffer.

/// The six wire types of the protobuf encoding (6 and 7 are invalid).
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A decoded field key: field number plus wire type.
struct FieldTag {
    var number: Int
    var wireType: WireType
}

/// Reads one message (and the messages nested in it) from a buffer.
///
/// Every read checks the bytes exist before touching them, and `end` always bounds the message
/// being decoded, so a length prefix can never make the reader leave its enclosing message.
struct ProtoReader {
    /// Maximum nesting of messages and groups; a Txn nested in a Txn costs two levels.
    static let maxDepth = 100

    private let buffer: UnsafeBufferPointer<UInt8>
    private var index: Int
    private var end: Int
    private var depth = 0

    private init(_ buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
        self.index = 0
        self.end = buffer.count
    }

    /// Runs `body` with a reader over `bytes`; the reader must not escape `body`.
    static func withReader<T>(_ bytes: ArraySlice<UInt8>, _ body: (inout ProtoReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = ProtoReader(buffer)
            return try body(&reader)
        }
    }

    /// Decodes a whole top-level message.
    static func decode<M: WireMessage>(_ bytes: ArraySlice<UInt8>, as type: M.Type) throws -> M {
        try withReader(bytes) { reader in
            var message = M()
            try message.merge(from: &reader)
            return message
        }
    }

    // MARK: Primitives

    mutating func readVarint() throws -> UInt64 {
        if index < end, buffer[index] < 0x80 {
            defer { index += 1 }
            return UInt64(buffer[index])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw WireError.truncated }
            let byte = buffer[index]
            index += 1
            if shift == 63 {
                // The 10th byte holds the top bit; a continuation bit here means an 11th byte.
                guard byte < 0x80 else { throw WireError.varintTooLong }
                return result | (UInt64(byte) << 63)
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    private mutating func skipBytes(_ count: Int) throws {
        guard end - index >= count else { throw WireError.truncated }
        index += count
    }

    /// Reads a length prefix and checks that many bytes remain in the current message.
    private mutating func readLength(field: Int) throws -> Int {
        let length = try readVarint()
        guard length <= UInt64(end - index) else {
            throw WireError.lengthOutOfBounds(field: field, length: length)
        }
        return Int(length)
    }

    /// The next field's tag, or nil at the end of the current message.
    mutating func nextTag() throws -> FieldTag? {
        guard index < end else { return nil }
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw WireError.invalidFieldNumber(number) }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw WireError.invalidWireType(field: Int(number), wireType: Int(key & 7))
        }
        return FieldTag(number: Int(number), wireType: wireType)
    }

    /// Skips a field this message does not know, whatever its wire type.
    mutating func skip(_ tag: FieldTag) throws {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: try skipBytes(8)
        case .fixed32: try skipBytes(4)
        case .lengthDelimited: index += try readLength(field: tag.number)
        case .startGroup: try skipGroup(tag.number)
        case .endGroup: throw WireError.unmatchedEndGroup(field: tag.number)
        }
    }

    private mutating func skipGroup(_ number: Int) throws {
        guard depth < Self.maxDepth else { throw WireError.nestingTooDeep(limit: Self.maxDepth) }
        depth += 1
        defer { depth -= 1 }
        while let tag = try nextTag() {
            if tag.wireType == .endGroup {
                guard tag.number == number else { throw WireError.unmatchedEndGroup(field: tag.number) }
                return
            }
            try skip(tag)
        }
        throw WireError.truncated
    }

    // MARK: Typed fields

    private func expect(_ tag: FieldTag, _ wireType: WireType) throws {
        guard tag.wireType == wireType else {
            throw WireError.wrongWireType(field: tag.number, wireType: Int(tag.wireType.rawValue))
        }
    }

    mutating func uint64(_ tag: FieldTag) throws -> UInt64 {
        try expect(tag, .varint)
        return try readVarint()
    }

    mutating func int64(_ tag: FieldTag) throws -> Int64 {
        Int64(bitPattern: try uint64(tag))
    }

    mutating func uint32(_ tag: FieldTag) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try uint64(tag))
    }

    mutating func bool(_ tag: FieldTag) throws -> Bool {
        try uint64(tag) != 0
    }

    mutating func enumValue<E: ProtoEnum>(_ tag: FieldTag) throws -> E {
        E(rawValue: Int32(truncatingIfNeeded: try uint64(tag)))
    }

    mutating func bytes(_ tag: FieldTag) throws -> [UInt8] {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.number)
        defer { index += length }
        return Array(UnsafeBufferPointer(rebasing: buffer[index..<index + length]))
    }

    mutating func string(_ tag: FieldTag) throws -> String {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.number)
        let raw = UnsafeBufferPointer(rebasing: buffer[index..<index + length])
        index += length
        let text = String(decoding: raw, as: UTF8.self)
        // Decoding replaces ill-formed sequences, so any change in the bytes means invalid input.
        guard text.utf8.elementsEqual(raw) else { throw WireError.invalidUTF8(field: tag.number) }
        return text
    }

    /// Decodes an enum field that may be packed (one length-delimited run) or not (one varint).
    mutating func repeatedEnum<E: ProtoEnum>(_ tag: FieldTag, into values: inout [E]) throws {
        switch tag.wireType {
        case .varint:
            values.append(E(rawValue: Int32(truncatingIfNeeded: try readVarint())))
        case .lengthDelimited:
            let length = try readLength(field: tag.number)
            let outerEnd = end
            end = index + length
            defer { end = outerEnd }
            while index < end {
                values.append(E(rawValue: Int32(truncatingIfNeeded: try readVarint())))
            }
        default:
            try expect(tag, .varint)
        }
    }

    /// Decodes an embedded message and merges it into `message`, as protobuf does for repeats.
    mutating func message<M: WireMessage>(_ tag: FieldTag, into message: inout M) throws {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.number)
        guard depth < Self.maxDepth else { throw WireError.nestingTooDeep(limit: Self.maxDepth) }
        let outerEnd = end
        end = index + length
        depth += 1
        try message.merge(from: &self)
        depth -= 1
        end = outerEnd
    }

    /// Decodes a singular embedded message field, merging into any earlier occurrence.
    mutating func message<M: WireMessage>(_ tag: FieldTag, into message: inout M?) throws {
        var value = message ?? M()
        message = nil
        try self.message(tag, into: &value)
        message = value
    }

    /// Decodes one element of a repeated message field.
    mutating func message<M: WireMessage>(_ tag: FieldTag) throws -> M {
        var value = M()
        try message(tag, into: &value)
        return value
    }
}
