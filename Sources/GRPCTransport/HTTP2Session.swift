import CNGHTTP2
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an `HTTP2ServerSession` reports while it parses input. Every method is called
/// synchronously from inside `receive`, so implementations may submit responses directly.
protocol HTTP2ServerSessionDelegate: AnyObject {
    func session(_ session: HTTP2ServerSession, didReceiveRequest head: HTTP2RequestHead, streamID: Int32, endStream: Bool)
    func session(_ session: HTTP2ServerSession, didReceiveData bytes: UnsafeRawBufferPointer, streamID: Int32)
    func session(_ session: HTTP2ServerSession, didReceiveEndStream streamID: Int32)
    /// The stream is gone; `errorCode` is the RST_STREAM code, or 0 for a normal close.
    func session(_ session: HTTP2ServerSession, streamDidClose streamID: Int32, errorCode: UInt32)
}

/// The request HEADERS of one stream, collected without a `String` per header: the
/// pseudo-headers a gRPC server needs are matched as bytes, the others are dropped, and the
/// regular headers stay raw in `metadata` until someone asks for them.
struct HTTP2RequestHead {
    enum Method {
        case post
        /// Anything else, for the error message ("" when the request had no `:method`).
        case other(String)
    }

    /// The last `:method` received.
    var method = Method.other("")
    /// The last `:path` received, "" if none.
    var path = ""
    var metadata = GRPCRequestMetadata()
}

struct HTTP2SessionError: Error, CustomStringConvertible {
    var code: Int
    var description: String { "nghttp2: " + String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: code))) }
}

/// A server-side nghttp2 session without I/O: bytes go in through `receive`, bytes to send
/// come out of `drainOutput`. Response bodies are queued per stream and pulled by nghttp2
/// as the peer's flow-control windows allow.
///
/// Not thread-safe; the owner confines it to one thread (the connection's event loop).
final class HTTP2ServerSession {
    struct Settings {
        var maxConcurrentStreams: UInt32
        var initialStreamWindowBytes: Int32
        var connectionWindowBytes: Int32
    }

    /// Per-stream state the C callbacks need.
    private final class Stream {
        var head = HTTP2RequestHead()
        /// The first gRPC message queued on an empty body, kept as it was sent until nghttp2
        /// pulls it; its 5-byte prefix is produced on the fly, so a unary answer is copied once,
        /// straight into its DATA frame. `messageOffset` counts the bytes of prefix + message
        /// already handed out.
        var message: [UInt8]?
        var messageOffset = 0
        /// Response body bytes not yet handed to nghttp2, after `message`.
        var body = ByteBuffer()

        var queuedBytes: Int {
            (message.map { GRPCMessageFramer.prefixLength + $0.count - messageOffset } ?? 0) + body.readableBytes
        }
        /// Set when the response is complete; an empty list ends the stream without trailers.
        var trailers: HTTP2HeaderBlock?
        /// nghttp2 parked the data provider because `body` was empty; resume when it fills.
        var isDeferred = false
    }

    private unowned let delegate: HTTP2ServerSessionDelegate
    private var session: OpaquePointer!
    private var streams: [Int32: Stream] = [:]
    /// The stream whose request HEADERS are being parsed: a header block arrives in one piece
    /// (HEADERS + CONTINUATION frames cannot interleave), so its fields need no lookup.
    private var headersStreamID: Int32 = 0
    private var headersStream: Stream?
    /// `:path` values seen on this connection, so a repeated path costs a byte comparison
    /// instead of a new `String`. Bounded; a client uses a handful of methods.
    private var knownPaths: [String] = []
    private static let maxKnownPaths = 64

    init(settings: Settings, delegate: HTTP2ServerSessionDelegate) throws {
        self.delegate = delegate

        var callbacks: OpaquePointer?
        try Self.check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkReceived)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)

        // nghttp2's HTTP messaging checks reject an `:authority` that is not a bare host:port,
        // but grpc-go clients send whatever target they dialled there (clientv3 sends
        // "http://host:port" or "#initially=[...]"), and etcd accepts any. Framing is still
        // checked by nghttp2; GRPCServerConnection checks the method, path and content-type.
        var option: OpaquePointer?
        try Self.check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_http_messaging(option, 1)

        var session: OpaquePointer?
        try Self.check(nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option))
        self.session = session

        let entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(settings.initialStreamWindowBytes)
            ),
        ]
        try Self.check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count))
        try Self.check(nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowBytes
        ))
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Bytes in and out

    /// Parses received bytes; delegate callbacks happen before this returns. Throws only on
    /// errors after which the connection must be dropped (bad preface, flooding, ...);
    /// protocol errors instead queue a GOAWAY and end the session via `isFinished`.
    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let result = nghttp2_session_mem_recv(session, base, bytes.count)
        if result < 0 {
            throw HTTP2SessionError(code: result)
        }
    }

    /// Appends pending frames to `buffer` until nothing is left or `limit` bytes were added.
    func drainOutput(into buffer: inout ByteBuffer, limit: Int) throws {
        let start = buffer.writerIndex
        while buffer.writerIndex - start < limit {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                throw HTTP2SessionError(code: count)
            }
            guard count > 0, let chunk else { return }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
        }
    }

    /// Frames are waiting and the peer's flow-control windows let at least one out.
    var wantsWrite: Bool {
        nghttp2_session_want_write(session) != 0
    }

    /// True when the session has nothing more to read or write and the connection can close
    /// (after GOAWAY with no active streams, or after a fatal protocol error).
    var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && !wantsWrite
    }

    // MARK: Responses

    /// Starts the response on `streamID`. Without a body the HEADERS frame ends the stream.
    func submitResponse(streamID: Int32, headers: HTTP2HeaderBlock, hasBody: Bool) {
        let result: Int32
        if hasBody {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readResponseBody)
            result = nghttp2_submit_response(session, streamID, headers.nameValues, headers.count, &provider)
        } else {
            result = nghttp2_submit_response(session, streamID, headers.nameValues, headers.count, nil)
        }
        withExtendedLifetime(headers) {}
        if result != 0 {
            resetStream(streamID: streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
        }
    }

    /// Queues one gRPC message (it gets its length prefix) on the stream's response body.
    func appendMessage(streamID: Int32, _ message: [UInt8]) {
        guard let stream = streams[streamID] else { return }
        if stream.message == nil && stream.body.readableBytes == 0 {
            stream.message = message
            stream.messageOffset = 0
        } else {
            // A stream that never drains completely (a busy watch) would otherwise grow its
            // buffer forever; compact once the consumed part outweighs what is left.
            if stream.body.readerIndex >= 64 * 1024 && stream.body.readerIndex >= stream.body.readableBytes {
                stream.body.discardReadBytes()
            }
            GRPCMessageFramer.write(message, into: &stream.body)
        }
        resumeIfDeferred(streamID: streamID, stream)
    }

    /// Ends the response once the queued body has been sent: trailers (if any) then END_STREAM.
    func finishBody(streamID: Int32, trailers: HTTP2HeaderBlock) {
        guard let stream = streams[streamID] else { return }
        stream.trailers = trailers
        resumeIfDeferred(streamID: streamID, stream)
    }

    func bufferedBodyBytes(streamID: Int32) -> Int {
        streams[streamID]?.queuedBytes ?? 0
    }

    func resetStream(streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// GOAWAY(NO_ERROR) naming the last stream we accepted: streams up to it run to completion,
    /// later ones are refused, and the session finishes when the last stream closes.
    func submitGoAway() {
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
            nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR.rawValue, nil, 0
        )
    }

    private func resumeIfDeferred(streamID: Int32, _ stream: Stream) {
        if stream.isDeferred {
            stream.isDeferred = false
            nghttp2_session_resume_data(session, streamID)
        }
    }

    /// Copies the bytes of `message` with its gRPC prefix, from `offset` on, as many as fit.
    private static func copy(
        _ message: [UInt8], from offset: Int, into destination: UnsafeMutablePointer<UInt8>, capacity: Int
    ) -> Int {
        let length = UInt32(truncatingIfNeeded: message.count)
        let prefix: (UInt8, UInt8, UInt8, UInt8, UInt8) = (
            0, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)
        )
        var offset = offset
        var copied = 0
        if offset < GRPCMessageFramer.prefixLength {
            withUnsafeBytes(of: prefix) { prefix in
                let count = min(GRPCMessageFramer.prefixLength - offset, capacity)
                UnsafeMutableRawPointer(destination).copyMemory(from: prefix.baseAddress! + offset, byteCount: count)
                copied = count
            }
            offset += copied
        }
        let bodyOffset = offset - GRPCMessageFramer.prefixLength
        let count = min(message.count - bodyOffset, capacity - copied)
        if count > 0 {
            message.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(destination + copied).copyMemory(from: bytes.baseAddress! + bodyOffset, byteCount: count)
            }
            copied += count
        }
        return copied
    }

    private static func check(_ result: Int32) throws {
        if result != 0 {
            throw HTTP2SessionError(code: Int(result))
        }
    }

    // MARK: Entry points from the C callbacks

    fileprivate static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2ServerSession {
        Unmanaged<HTTP2ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    fileprivate func beginRequest(streamID: Int32) {
        let stream = Stream()
        streams[streamID] = stream
        headersStreamID = streamID
        headersStream = stream
    }

    private func stream(receivingHeaders streamID: Int32) -> Stream? {
        if streamID == headersStreamID, let stream = headersStream {
            return stream
        }
        return streams[streamID]
    }

    /// Pseudo-headers other than `:method` and `:path` are not kept; neither are they metadata.
    fileprivate func addRequestHeader(
        streamID: Int32, name: UnsafePointer<UInt8>?, nameLength: Int, value: UnsafePointer<UInt8>?, valueLength: Int
    ) {
        guard let stream = stream(receivingHeaders: streamID) else { return }
        if nameLength > 0, let name, name.pointee == UInt8(ascii: ":") {
            if HTTP2HeaderList.equals(name, nameLength, ":path") {
                stream.head.path = knownPath(value, valueLength)
            } else if HTTP2HeaderList.equals(name, nameLength, ":method") {
                stream.head.method = HTTP2HeaderList.equals(value, valueLength, "POST")
                    ? .post
                    : .other(HTTP2HeaderList.string(value, valueLength))
            }
            return
        }
        stream.head.metadata.append(
            name: UnsafeRawBufferPointer(start: name, count: name == nil ? 0 : nameLength),
            value: UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueLength)
        )
    }

    private func knownPath(_ value: UnsafePointer<UInt8>?, _ count: Int) -> String {
        guard let value, count > 0 else { return "" }
        for path in knownPaths where path.utf8.count == count {
            let matches = path.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, value, count) == 0 }
            if matches == true {
                return path
            }
        }
        let path = HTTP2HeaderList.string(value, count)
        if knownPaths.count < Self.maxKnownPaths {
            knownPaths.append(path)
        }
        return path
    }

    fileprivate func requestHeadersComplete(streamID: Int32, endStream: Bool) {
        let stream = stream(receivingHeaders: streamID)
        headersStreamID = 0
        headersStream = nil
        guard let stream else { return }
        let head = stream.head
        stream.head = HTTP2RequestHead()
        delegate.session(self, didReceiveRequest: head, streamID: streamID, endStream: endStream)
    }

    fileprivate func dataReceived(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        delegate.session(self, didReceiveData: bytes, streamID: streamID)
    }

    fileprivate func endStreamReceived(streamID: Int32) {
        delegate.session(self, didReceiveEndStream: streamID)
    }

    /// A response that ends while the client is still sending: like other gRPC servers, reset
    /// the stream with NO_ERROR so the client stops uploading a request nobody will read.
    fileprivate func responseEnded(streamID: Int32) {
        if nghttp2_session_get_stream_remote_close(session, streamID) == 0 {
            resetStream(streamID: streamID, errorCode: NGHTTP2_NO_ERROR.rawValue)
        }
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        streams[streamID] = nil
        if streamID == headersStreamID {
            headersStreamID = 0
            headersStream = nil
        }
        delegate.session(self, streamDidClose: streamID, errorCode: errorCode)
    }

    /// Fills nghttp2's frame buffer from the stream's queued body. Returns the byte count,
    /// or `NGHTTP2_ERR_DEFERRED` to park the stream until more is queued.
    fileprivate func readBody(
        streamID: Int32, into destination: UnsafeMutablePointer<UInt8>, capacity: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = streams[streamID] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        var count = 0
        if let message = stream.message {
            count = Self.copy(message, from: stream.messageOffset, into: destination, capacity: capacity)
            stream.messageOffset += count
            if stream.messageOffset == GRPCMessageFramer.prefixLength + message.count {
                stream.message = nil
                stream.messageOffset = 0
            }
        }
        let fromBody = stream.message == nil ? min(capacity - count, stream.body.readableBytes) : 0
        if fromBody > 0 {
            stream.body.withUnsafeReadableBytes { source in
                UnsafeMutableRawPointer(destination + count).copyMemory(from: source.baseAddress!, byteCount: fromBody)
            }
            stream.body.moveReaderIndex(forwardBy: fromBody)
            count += fromBody
        }
        if stream.message != nil || stream.body.readableBytes > 0 {
            return count
        }
        if stream.body.capacity > 0 {
            stream.body.clear()
        }
        guard let trailers = stream.trailers else {
            if count > 0 {
                return count
            }
            stream.isDeferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        if !trailers.isEmpty {
            flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            let result = nghttp2_submit_trailer(session, streamID, trailers.nameValues, trailers.count)
            withExtendedLifetime(trailers) {}
            if result != 0 {
                return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
            }
        }
        return count
    }
}

// MARK: - C callbacks
// Each recovers the session from user_data and forwards. Only the body reader reports a
// failure (a stream we no longer know), which makes nghttp2 reset that one stream.

private func frameType(_ frame: UnsafePointer<nghttp2_frame>) -> UInt32 {
    UInt32(frame.pointee.hd.type)
}

private func hasEndStream(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
    frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
}

private func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
    frameType(frame) == NGHTTP2_HEADERS.rawValue && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    if let frame, isRequestHeaders(frame) {
        HTTP2ServerSession.from(userData).beginRequest(streamID: frame.pointee.hd.stream_id)
    }
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    // Trailers sent by a client carry nothing a gRPC server uses, so only request headers are kept.
    if let frame, isRequestHeaders(frame) {
        HTTP2ServerSession.from(userData).addRequestHeader(
            streamID: frame.pointee.hd.stream_id,
            name: name, nameLength: nameLength, value: value, valueLength: valueLength
        )
    }
    return 0
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let session = HTTP2ServerSession.from(userData)
    let streamID = frame.pointee.hd.stream_id
    switch frameType(frame) {
    case NGHTTP2_HEADERS.rawValue where isRequestHeaders(frame):
        session.requestHeadersComplete(streamID: streamID, endStream: hasEndStream(frame))
    case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
        if hasEndStream(frame) {
            session.endStreamReceived(streamID: streamID)
        }
    default:
        break
    }
    return 0
}

private let onDataChunkReceived: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    HTTP2ServerSession.from(userData).dataReceived(streamID: streamID, UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onFrameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let type = frameType(frame)
    if (type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue) && hasEndStream(frame) {
        HTTP2ServerSession.from(userData).responseEnded(streamID: frame.pointee.hd.stream_id)
    }
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    HTTP2ServerSession.from(userData).streamClosed(streamID: streamID, errorCode: errorCode)
    return 0
}

private let readResponseBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
    HTTP2ServerSession.from(userData).readBody(streamID: streamID, into: buffer!, capacity: length, flags: flags!)
}
