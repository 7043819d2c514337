import NIOCore
import NIOHTTP1

/// The HTTP/1.x side of a client port. NIOHTTP1 parses requests, keeps pipelined requests in
/// order and answers malformed ones with 400 and a close; `HTTP1RequestHandler` collects each
/// body and hands the complete request to the `HTTP1Handler`.
enum HTTP1Pipeline {
    static func install(
        on pipeline: ChannelPipeline.SynchronousOperations, handler: HTTP1Handler, maxBodyBytes: Int
    ) throws {
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
        try pipeline.addHandler(HTTP1RequestHandler(handler: handler, maxBodyBytes: maxBodyBytes))
    }
}

final class HTTP1RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, body: [UInt8])
        case bodyTooLarge(HTTPRequestHead)
        /// Waiting for `respond` of request number `sequence`.
        case responding(HTTPRequestHead, sequence: Int)
    }

    private let handler: HTTP1Handler
    private let maxBodyBytes: Int
    private var state = State.idle
    /// Numbers requests so a late or repeated `respond` can't answer the wrong one.
    private var requestSequence = 0
    private var closeWhenIdle = false

    init(handler: HTTP1Handler, maxBodyBytes: Int) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > maxBodyBytes {
                state = .bodyTooLarge(head)
                return
            }
            state = .receiving(head, body: [])
            // curl and other clients pause before a large body until they see this.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(let chunk):
            guard case .receiving(let head, var body) = state else { return }
            if body.count + chunk.readableBytes > maxBodyBytes {
                state = .bodyTooLarge(head)
                return
            }
            state = .idle  // release the state's reference so the append happens in place
            body.append(contentsOf: chunk.readableBytesView)
            state = .receiving(head, body: body)
        case .end:
            switch state {
            case .receiving(let head, let body):
                dispatch(head, body: body, context: context)
            case .bodyTooLarge(let head):
                closeWhenIdle = true
                write(HTTP1Response(status: 413, body: Array("request body too large\n".utf8)), for: head, context: context)
            case .idle, .responding:
                break
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is GracefulShutdownEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        closeWhenIdle = true
        if case .idle = state {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func dispatch(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        requestSequence += 1
        let sequence = requestSequence
        state = .responding(head, sequence: sequence)

        let target = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = HTTP1Request(
            method: head.method.rawValue,
            path: String(target[0]),
            query: target.count > 1 ? String(target[1]) : nil,
            headers: head.headers.map { ($0.name, $0.value) },
            body: body
        )
        let eventLoop = context.eventLoop
        let boundSelf = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
        handler.handle(request) { response in
            if eventLoop.inEventLoop {
                boundSelf.value.handler.respond(response, sequence: sequence, context: boundSelf.value.context)
            } else {
                eventLoop.execute {
                    boundSelf.value.handler.respond(response, sequence: sequence, context: boundSelf.value.context)
                }
            }
        }
    }

    private func respond(_ response: HTTP1Response, sequence: Int, context: ChannelHandlerContext) {
        guard case .responding(let head, sequence) = state else { return }
        write(response, for: head, context: context)
    }

    private func write(_ response: HTTP1Response, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .idle
        let keepAlive = head.isKeepAlive && !closeWhenIdle
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if head.version.major == 1 && head.version.minor == 0 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD && !response.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
