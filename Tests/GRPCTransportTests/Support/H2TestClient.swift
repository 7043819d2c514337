import CNGHTTP2
import Foundation
import NIOCore

/// What a test client saw on one stream.
struct H2Response {
    var headers: [(String, String)] = []
    var trailers: [(String, String)] = []
    var body: [UInt8] = []
    /// The response HEADERS frame carried END_STREAM (a gRPC trailers-only response).
    var isTrailersOnly = false
    var isClosed = false
    /// The error code of the stream's close (0 = NO_ERROR).
    var closeErrorCode: UInt32 = 0

    func header(_ name: String) -> String? {
        headers.first(where: { $0.0 == name })?.1
    }

    func trailer(_ name: String) -> String? {
        trailers.first(where: { $0.0 == name })?.1
    }

    /// grpc-status from the trailers, or from the headers of a trailers-only response.
    var grpcStatus: Int? {
        (isTrailersOnly ? header("grpc-status") : trailer("grpc-status")).flatMap { Int($0) }
    }

    /// The raw (still percent-encoded) grpc-message.
    var grpcMessage: String? {
        isTrailersOnly ? header("grpc-message") : trailer("grpc-message")
    }

    /// The body split into gRPC messages; nil if it is not a whole number of messages.
    var messages: [[UInt8]]? {
        var result: [[UInt8]] = []
        var index = 0
        while index < body.count {
            guard body.count - index >= 5 else { return nil }
            let length = body[index + 1 ..< index + 5].reduce(0) { $0 << 8 | Int($1) }
            guard body.count - index - 5 >= length else { return nil }
            result.append(Array(body[index + 5 ..< index + 5 + length]))
            index += 5 + length
        }
        return result
    }
}

/// A sans-I/O nghttp2 CLIENT session for tests: submit gRPC requests, feed it the server's
/// bytes, take the bytes it wants to send. Not thread-safe.
final class H2TestClient {
    private final class RequestBody {
        var pending: [UInt8] = []
        var isEnded = false
        var isDeferred = false
    }

    private var session: OpaquePointer!
    private var requestBodies: [Int32: RequestBody] = [:]
    private(set) var responses: [Int32: H2Response] = [:]
    private(set) var goAwayLastStreamID: Int32?
    /// Called when a stream closes, with what was received on it.
    var onStreamClosed: ((Int32, H2Response) -> Void)?
    var onGoAway: (() -> Void)?

    /// `initialWindowBytes` nil keeps the HTTP/2 default of 65 535 bytes per stream.
    init(initialWindowBytes: UInt32? = nil) {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, clientOnHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, clientOnFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, clientOnData)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, clientOnStreamClose)
        var session: OpaquePointer?
        let result = nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        precondition(result == 0)
        self.session = session
        var entries: [nghttp2_settings_entry] = []
        if let initialWindowBytes {
            entries.append(nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: initialWindowBytes
            ))
        }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count)
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: Requests

    /// Starts a request; the body stays open until `halfClose`.
    @discardableResult
    func startCall(
        path: String, metadata: [(String, String)] = [],
        method: String = "POST", contentType: String = "application/grpc"
    ) -> Int32 {
        let headers = [
            (":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost"),
            ("content-type", contentType), ("te", "trailers"),
        ] + metadata
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: clientReadBody)
        let streamID = withNameValues(headers) { nva, count in
            nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        precondition(streamID > 0, "submit_request failed: \(streamID)")
        requestBodies[streamID] = RequestBody()
        responses[streamID] = H2Response()
        return streamID
    }

    /// Queues one uncompressed gRPC message.
    func send(_ message: [UInt8], on streamID: Int32) {
        let length = UInt32(message.count)
        sendRaw([0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + message, on: streamID)
    }

    /// Queues raw body bytes (for split or malformed framing).
    func sendRaw(_ bytes: [UInt8], on streamID: Int32) {
        guard let body = requestBodies[streamID] else { return }
        body.pending += bytes
        resume(streamID, body)
    }

    func halfClose(_ streamID: Int32) {
        guard let body = requestBodies[streamID] else { return }
        body.isEnded = true
        resume(streamID, body)
    }

    func reset(_ streamID: Int32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
    }

    func ping() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    // MARK: Bytes

    func receive(_ bytes: [UInt8]) throws {
        let result = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, $0.count) }
        if result < 0 {
            throw H2TestError(code: result)
        }
    }

    func takeOutput() throws -> [UInt8] {
        var output: [UInt8] = []
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                throw H2TestError(code: count)
            }
            guard count > 0, let chunk else { return output }
            output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: count))
        }
    }

    // MARK: Callbacks

    fileprivate static func from(_ userData: UnsafeMutableRawPointer?) -> H2TestClient {
        Unmanaged<H2TestClient>.fromOpaque(userData!).takeUnretainedValue()
    }

    fileprivate func header(streamID: Int32, name: String, value: String, isTrailer: Bool) {
        if isTrailer {
            responses[streamID]?.trailers.append((name, value))
        } else {
            responses[streamID]?.headers.append((name, value))
        }
    }

    fileprivate func responseHeadersEnded(streamID: Int32) {
        responses[streamID]?.isTrailersOnly = true
    }

    fileprivate func data(streamID: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        responses[streamID]?.body.append(contentsOf: bytes)
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        requestBodies[streamID] = nil
        responses[streamID]?.isClosed = true
        responses[streamID]?.closeErrorCode = errorCode
        if let response = responses[streamID] {
            onStreamClosed?(streamID, response)
        }
    }

    fileprivate func goAway(lastStreamID: Int32) {
        goAwayLastStreamID = lastStreamID
        onGoAway?()
    }

    fileprivate func readBody(streamID: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let body = requestBodies[streamID] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, body.pending.count)
        body.pending.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: count) }
        body.pending.removeFirst(count)
        if body.pending.isEmpty && body.isEnded {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return count
        }
        if count == 0 {
            body.isDeferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        return count
    }

    private func resume(_ streamID: Int32, _ body: RequestBody) {
        if body.isDeferred {
            body.isDeferred = false
            nghttp2_session_resume_data(session, streamID)
        }
    }
}

struct H2TestError: Error, CustomStringConvertible {
    var code: Int
    var description: String { String(cString: nghttp2_strerror(Int32(code))) }
}

private func withNameValues<R>(_ headers: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
    // Each name and value gets its own NUL-terminated C string, freed after `body`.
    let strings = headers.flatMap { [strdup($0.0)!, strdup($0.1)!] }
    defer { strings.forEach { free($0) } }
    let nva = headers.indices.map { index in
        nghttp2_nv(
            name: UnsafeMutableRawPointer(strings[2 * index]).assumingMemoryBound(to: UInt8.self),
            value: UnsafeMutableRawPointer(strings[2 * index + 1]).assumingMemoryBound(to: UInt8.self),
            namelen: headers[index].0.utf8.count,
            valuelen: headers[index].1.utf8.count,
            flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
        )
    }
    return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
}

private func string(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> String {
    guard let pointer else { return "" }
    return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
}

private let clientOnHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    guard let frame, UInt32(frame.pointee.hd.type) == NGHTTP2_HEADERS.rawValue else { return 0 }
    H2TestClient.from(userData).header(
        streamID: frame.pointee.hd.stream_id,
        name: string(name, nameLength), value: string(value, valueLength),
        isTrailer: frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS
    )
    return 0
}

private let clientOnFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let client = H2TestClient.from(userData)
    switch UInt32(frame.pointee.hd.type) {
    case NGHTTP2_HEADERS.rawValue:
        if frame.pointee.headers.cat == NGHTTP2_HCAT_RESPONSE,
           frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            client.responseHeadersEnded(streamID: frame.pointee.hd.stream_id)
        }
    case NGHTTP2_GOAWAY.rawValue:
        client.goAway(lastStreamID: frame.pointee.goaway.last_stream_id)
    default:
        break
    }
    return 0
}

private let clientOnData: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    H2TestClient.from(userData).data(streamID: streamID, UnsafeBufferPointer(start: data, count: length))
    return 0
}

private let clientOnStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    H2TestClient.from(userData).streamClosed(streamID: streamID, errorCode: errorCode)
    return 0
}

private let clientReadBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
    H2TestClient.from(userData).readBody(streamID: streamID, into: buffer!, length: length, flags: flags!)
}
