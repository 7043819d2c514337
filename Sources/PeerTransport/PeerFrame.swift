import NIOCore

/// What a frame carries. The raw values are on the wire (docs/peer-protocol.md).
enum PeerFrameType: UInt8, Sendable {
    /// Receiver → dialler: the hello was accepted. Empty.
    case accepted = 1
    /// Receiver → dialler: the hello (or a snapshot) was refused; UTF-8 reason. The receiver then closes.
    case rejected = 2
    /// Message channel: one opaque raft message.
    case message = 3
    /// Message channel: an 8-byte token the receiver echoes in a `pong`.
    case ping = 4
    case pong = 5
    /// Request ID (8), kind (1), payload.
    case request = 6
    /// Request ID (8), status (1: 0 success, 1 failure), payload or UTF-8 failure message.
    case response = 7
    /// Snapshot channel: total snapshot size (8), sent once before the chunks.
    case snapshotBegin = 8
    case snapshotChunk = 9
    /// Snapshot channel, receiver → sender: the whole snapshot was handed to the server. Empty.
    case snapshotAck = 10
}

/// One frame: a 4-byte big-endian payload length, a type byte, then the payload.
struct PeerFrame: Sendable {
    static let headerBytes = 5
    /// Bytes a request/response frame spends before its payload (ID + kind/status).
    static let requestHeaderBytes = 9

    var type: PeerFrameType
    var payload: ByteBuffer

    /// Takes one whole frame off the front of `buffer`, or nil (buffer untouched) while it is
    /// incomplete. Throws as soon as the header announces something unacceptable, so an
    /// oversized frame is refused before any of it is buffered.
    static func read(from buffer: inout ByteBuffer, maxPayloadBytes: Int) throws(PeerProtocolError) -> PeerFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let rawType = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self) else {
            return nil
        }
        guard Int(length) <= maxPayloadBytes else {
            throw .frameTooLarge(length: Int(length), limit: maxPayloadBytes)
        }
        guard let type = PeerFrameType(rawValue: rawType) else {
            throw .unknownFrameType(rawType)
        }
        guard buffer.readableBytes >= headerBytes + Int(length) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: headerBytes)
        return PeerFrame(type: type, payload: buffer.readSlice(length: Int(length))!)
    }
}

enum PeerProtocolError: Error, Equatable, CustomStringConvertible {
    case notAPeer
    case frameTooLarge(length: Int, limit: Int)
    case unknownFrameType(UInt8)
    case malformed(String)
    case unexpected(PeerFrameType)

    var description: String {
        switch self {
        case .notAPeer:
            return "not a swift-etcd peer (bad magic)"
        case let .frameTooLarge(length, limit):
            return "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case let .unknownFrameType(type):
            return "unknown frame type \(type)"
        case let .malformed(what):
            return "malformed \(what) frame"
        case let .unexpected(type):
            return "unexpected \(type) frame"
        }
    }
}

extension ByteBuffer {
    mutating func writePeerFrameHeader(_ type: PeerFrameType, payloadBytes: Int) {
        writeInteger(UInt32(payloadBytes))
        writeInteger(type.rawValue)
    }

    mutating func writePeerFrame(_ type: PeerFrameType, payload: some Collection<UInt8>) {
        writePeerFrameHeader(type, payloadBytes: payload.count)
        writeBytes(payload)
    }

    mutating func writeRequestFrame(id: UInt64, kind: UInt8, payload: [UInt8]) {
        writePeerFrameHeader(.request, payloadBytes: PeerFrame.requestHeaderBytes + payload.count)
        writeInteger(id)
        writeInteger(kind)
        writeBytes(payload)
    }

    mutating func writeResponseFrame(id: UInt64, reply: PeerReply) {
        let (status, body): (UInt8, [UInt8])
        switch reply {
        case let .success(bytes): (status, body) = (0, bytes)
        case let .failure(message): (status, body) = (1, Array(message.utf8))
        }
        writePeerFrameHeader(.response, payloadBytes: PeerFrame.requestHeaderBytes + body.count)
        writeInteger(id)
        writeInteger(status)
        writeBytes(body)
    }
}

/// The decoded body of a `request` frame.
struct PeerRequestFrame {
    var id: UInt64
    var kind: UInt8
    var payload: [UInt8]

    init(_ payload: ByteBuffer) throws(PeerProtocolError) {
        var payload = payload
        guard let id = payload.readInteger(as: UInt64.self), let kind = payload.readInteger(as: UInt8.self) else {
            throw .malformed("request")
        }
        self.id = id
        self.kind = kind
        self.payload = Array(payload.readableBytesView)
    }
}

/// The decoded body of a `response` frame.
struct PeerResponseFrame {
    var id: UInt64
    var result: Result<[UInt8], PeerTransportError>

    init(_ payload: ByteBuffer) throws(PeerProtocolError) {
        var payload = payload
        guard let id = payload.readInteger(as: UInt64.self), let status = payload.readInteger(as: UInt8.self) else {
            throw .malformed("response")
        }
        let body = Array(payload.readableBytesView)
        self.id = id
        switch status {
        case 0: self.result = .success(body)
        case 1: self.result = .failure(.remote(String(decoding: body, as: UTF8.self)))
        default: throw .malformed("response")
        }
    }
}
