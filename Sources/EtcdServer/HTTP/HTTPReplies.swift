import GRPCTransport

/// The responses etcd's HTTP handlers write, with Go's net/http headers, so probes and
/// scrapers see the same status, content type and body.
enum HTTPReplies {
    static let methodNotAllowed: HTTP1Response = {
        var reply = goError(405, "Method Not Allowed")
        reply.headers.append(("Allow", "GET"))
        return reply
    }()
    static let notFound = goError(404, "404 page not found")

    /// Go's `http.Error`: plain text, no sniffing, the message and a newline.
    static func goError(_ status: Int, _ message: String) -> HTTP1Response {
        plainText(status, message + "\n")
    }

    /// Plain text that browsers must not sniff, as etcd's probes answer.
    static func plainText(_ status: Int, _ body: String) -> HTTP1Response {
        HTTP1Response(status: status, headers: plainTextHeaders, body: Array(body.utf8))
    }

    /// A body written without a content type, which Go sniffs as plain UTF-8 text.
    static func sniffedText(_ status: Int, _ body: String) -> HTTP1Response {
        HTTP1Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8))
    }

    static func json(_ status: Int, _ body: String) -> HTTP1Response {
        HTTP1Response(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    private static let plainTextHeaders = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
}
