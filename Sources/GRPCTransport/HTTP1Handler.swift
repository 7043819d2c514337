/// A complete HTTP/1.x request received on the client port (body already collected).
public struct HTTP1Request: Sendable {
    public var method: String
    /// The request target up to (not including) '?'.
    public var path: String
    /// What followed '?', if anything.
    public var query: String?
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: String?, headers: [(String, String)], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of the first header called `name`, compared case-insensitively.
    public func headerValue(_ name: String) -> String? {
        headers.first(where: { $0.0.lowercased() == name.lowercased() })?.1
    }
}

public struct HTTP1Response: Sendable {
    public var status: Int
    /// Content-Length is added by the transport.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Receives every HTTP/1.x request that arrives on a client port. Called on the connection's
/// event loop; `respond` may be called once, from any thread.
public protocol HTTP1Handler: AnyObject, Sendable {
    func handle(_ request: HTTP1Request, respond: @escaping (HTTP1Response) -> Void)
}
