import NIOCore

/// gRPC's length-prefixed message format: a 1-byte compressed flag, a 4-byte big-endian
/// length, then the message bytes. Messages may span DATA frames and one frame may carry
/// several messages, so requests are decoded incrementally.
enum GRPCMessageFramer {
    static let prefixLength = 5

    /// Appends one uncompressed message with its prefix.
    static func write(_ message: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(truncatingIfNeeded: message.count))
        buffer.writeBytes(message)
    }
}

/// Incremental decoder for the messages of one request stream.
struct GRPCMessageDeframer {
    enum Failure: Error, Equatable {
        case compressed
        case tooLarge(length: Int, limit: Int)
    }

    let maxMessageBytes: Int
    private var pending: ByteBuffer

    init(maxMessageBytes: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.maxMessageBytes = maxMessageBytes
        self.pending = allocator.buffer(capacity: 0)
    }

    /// True while part of a message is buffered (a request that ends here is truncated).
    var hasPartialMessage: Bool { pending.readableBytes > 0 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        // Reclaim consumed space so a long-lived stream that always has a partial message
        // buffered does not grow without bound.
        if pending.readableBytes == 0 {
            pending.clear()
        } else if pending.readerIndex >= 64 * 1024 {
            pending.discardReadBytes()
        }
        pending.writeBytes(bytes)
    }

    /// The next complete message from what is buffered followed by `input`, taking bytes off
    /// the front of `input`; nil once more bytes are needed, with all of `input` consumed.
    /// Same results as `append(input)` then `nextMessage()`, but while nothing is buffered a
    /// message that lies whole in `input` is copied out of it directly, without buffering.
    mutating func nextMessage(consuming input: inout UnsafeRawBufferPointer) throws(Failure) -> [UInt8]? {
        if pending.readableBytes == 0 && input.count >= GRPCMessageFramer.prefixLength {
            let flag = input[0]
            let length = Int(UInt32(input[1]) << 24 | UInt32(input[2]) << 16 | UInt32(input[3]) << 8 | UInt32(input[4]))
            if flag != 0 {
                throw Failure.compressed
            }
            if length > maxMessageBytes {
                throw Failure.tooLarge(length: length, limit: maxMessageBytes)
            }
            let end = GRPCMessageFramer.prefixLength + length
            if input.count >= end {
                let body = UnsafeRawBufferPointer(rebasing: input[GRPCMessageFramer.prefixLength ..< end])
                let message = [UInt8](unsafeUninitializedCapacity: length) { storage, count in
                    if length > 0 {
                        UnsafeMutableRawBufferPointer(storage).copyMemory(from: body)
                    }
                    count = length
                }
                input = UnsafeRawBufferPointer(rebasing: input[end...])
                return message
            }
        }
        append(input)
        input = UnsafeRawBufferPointer(start: nil, count: 0)
        return try nextMessage()
    }

    /// The next complete message, nil if more bytes are needed. Throws as soon as a prefix
    /// announces something we refuse, before the body is buffered.
    mutating func nextMessage() throws(Failure) -> [UInt8]? {
        guard let flag = pending.getInteger(at: pending.readerIndex, as: UInt8.self),
              let length = pending.getInteger(at: pending.readerIndex + 1, as: UInt32.self)
        else {
            return nil
        }
        if flag != 0 {
            throw Failure.compressed
        }
        if Int(length) > maxMessageBytes {
            throw Failure.tooLarge(length: Int(length), limit: maxMessageBytes)
        }
        guard pending.readableBytes >= GRPCMessageFramer.prefixLength + Int(length) else {
            return nil
        }
        pending.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
        return pending.readBytes(length: Int(length))
    }
}
