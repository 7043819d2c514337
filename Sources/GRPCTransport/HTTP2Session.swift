import CNGHTTP2
import NIOCore

/// What an `HTTP2ServerSession` reports while it parses input. Every method is called
/// synchronously from inside `receive`, so implementations may submit responses directly.
protocol HTTP2ServerSessionDelegate: AnyObject {
    func session(_ session: HTTP2ServerSession, didReceiveRequest headers: HTTP2HeaderFields, streamID: Int32, endStream: Bool)
    func session(_ session: HTTP2ServerSession, didReceiveData bytes: UnsafeRawBufferPointer, streamID: Int32)
    func session(_ session: HTTP2ServerSession, didReceiveEndStream streamID: Int32)
    /// The stream is gone; `errorCode` is the RST_STREAM code, or 0 for a normal close.
    func session(_ session: HTTP2ServerSession, streamDidClose streamID: Int32, errorCode: UInt32)
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
        var requestHeaders: HTTP2HeaderFields = []
        /// Response body bytes not yet handed to nghttp2.
        var body = ByteBuffer()
        /// Set when the response is complete; an empty list ends the stream without trailers.
        var trailers: HTTP2HeaderFields?
        /// nghttp2 parked the data provider because `body` was empty; resume when it fills.
        var isDeferred = false
    }

    private unowned let delegate: HTTP2ServerSessionDelegate
    private var session: OpaquePointer!
    private var streams: [Int32: Stream] = [:]

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
    func submitResponse(streamID: Int32, headers: HTTP2HeaderFields, hasBody: Bool) {
        let result: Int32 = HTTP2HeaderList.withNameValueArray(headers) { nva, count in
            guard hasBody else {
                return nghttp2_submit_response(session, streamID, nva, count, nil)
            }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readResponseBody)
            return nghttp2_submit_response(session, streamID, nva, count, &provider)
        }
        if result != 0 {
            resetStream(streamID: streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
        }
    }

    /// Lets `write` append to the stream's queued response body.
    func appendBody(streamID: Int32, _ write: (inout ByteBuffer) -> Void) {
        guard let stream = streams[streamID] else { return }
        // A stream that never drains completely (a busy watch) would otherwise grow its
        // buffer forever; compact once the consumed part outweighs what is left.
        if stream.body.readerIndex >= 64 * 1024 && stream.body.readerIndex >= stream.body.readableBytes {
            stream.body.discardReadBytes()
        }
        write(&stream.body)
        resumeIfDeferred(streamID: streamID, stream)
    }

    /// Ends the response once the queued body has been sent: trailers (if any) then END_STREAM.
    func finishBody(streamID: Int32, trailers: HTTP2HeaderFields) {
        guard let stream = streams[streamID] else { return }
        stream.trailers = trailers
        resumeIfDeferred(streamID: streamID, stream)
    }

    func bufferedBodyBytes(streamID: Int32) -> Int {
        streams[streamID]?.body.readableBytes ?? 0
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
        streams[streamID] = Stream()
    }

    fileprivate func addRequestHeader(streamID: Int32, name: String, value: String) {
        streams[streamID]?.requestHeaders.append((name: name, value: value))
    }

    fileprivate func requestHeadersComplete(streamID: Int32, endStream: Bool) {
        guard let stream = streams[streamID] else { return }
        let headers = stream.requestHeaders
        stream.requestHeaders = []
        delegate.session(self, didReceiveRequest: headers, streamID: streamID, endStream: endStream)
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
        let count = min(capacity, stream.body.readableBytes)
        if count > 0 {
            stream.body.withUnsafeReadableBytes { source in
                UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: count)
            }
            stream.body.moveReaderIndex(forwardBy: count)
        }
        if stream.body.readableBytes > 0 {
            return count
        }
        stream.body.clear()
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
            let result = HTTP2HeaderList.withNameValueArray(trailers) { nva, n in
                nghttp2_submit_trailer(session, streamID, nva, n)
            }
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
            name: HTTP2HeaderList.string(name, nameLength),
            value: HTTP2HeaderList.string(value, valueLength)
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
