// WireError: the ways a protobuf encoding can be malformed.

/// Why a protobuf message could not be decoded. The decoder reports these instead of trapping.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ended in the middle of a tag or field.
    case truncated
    /// A varint had a continuation bit on its 10th byte.
    case varintTooLong
    /// A length prefix claims more bytes than remain in the enclosing message.
    case lengthOutOfBounds(field: Int, length: UInt64)
    /// A tag carried field number 0 or one above 2^29 - 1.
    case invalidFieldNumber(UInt64)
    /// A tag carried wire type 6 or 7, which do not exist.
    case invalidWireType(field: Int, wireType: Int)
    /// A known field arrived with a wire type its declared type cannot use.
    case wrongWireType(field: Int, wireType: Int)
    /// An end-group tag with no matching start-group tag.
    case unmatchedEndGroup(field: Int)
    /// Messages or groups nested deeper than `limit`.
    case nestingTooDeep(limit: Int)
    /// A `string` field held bytes that are not valid UTF-8.
    case invalidUTF8(field: Int)

    public var description: String {
        switch self {
        case .truncated:
            return "protobuf: unexpected end of input"
        case .varintTooLong:
            return "protobuf: varint longer than 10 bytes"
        case .lengthOutOfBounds(let field, let length):
            return "protobuf: field \(field) claims \(length) bytes, past the end of its message"
        case .invalidFieldNumber(let number):
            return "protobuf: invalid field number \(number)"
        case .invalidWireType(let field, let wireType):
            return "protobuf: invalid wire type \(wireType) for field \(field)"
        case .wrongWireType(let field, let wireType):
            return "protobuf: wrong wire type \(wireType) for field \(field)"
        case .unmatchedEndGroup(let field):
            return "protobuf: end-group tag for field \(field) without a matching start"
        case .nestingTooDeep(let limit):
            return "protobuf: messages nested deeper than \(limit) levels"
        case .invalidUTF8(let field):
            return "protobuf: string field \(field) is not valid UTF-8"
        }
    }
}
