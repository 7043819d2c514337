import Foundation

/// A URL from a `*-urls` flag, reduced to what a listener or an advertisement needs.
public struct EndpointURL: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    /// The URL as the operator wrote it (etcd advertises URLs verbatim).
    public let description: String

    /// Parses `scheme://host:port`; only the path-less forms etcd accepts for listeners.
    init(parsing text: String, flag: String) throws {
        func invalid(_ why: String) -> ConfigurationError {
            ConfigurationError("invalid URL \"\(text)\" in --\(flag): \(why)")
        }
        guard let schemeEnd = text.range(of: "://") else { throw invalid("missing scheme") }
        let scheme = String(text[..<schemeEnd.lowerBound])
        guard ["http", "https", "unix", "unixs"].contains(scheme) else {
            throw invalid("URL scheme must be http, https, unix, or unixs: \(text)")
        }
        var authority = Substring(text[schemeEnd.upperBound...])
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains("/") else { throw invalid("URL must not contain a path") }
        let host: Substring
        let portText: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid("address must have a port") }
            portText = rest.dropFirst()
        } else {
            guard let colon = authority.lastIndex(of: ":") else { throw invalid("address \(authority): missing port in address") }
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw invalid("invalid port \"\(portText)\"") }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.description = text
    }

    /// The address to bind: `localhost` means the IPv4 loopback, as Go's resolver picks first.
    public var bindHost: String { host == "localhost" ? "127.0.0.1" : host }

    static func parseList(_ text: String, flag: String) throws -> [EndpointURL] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ConfigurationError("--\(flag) must not be empty") }
        return try parts.map { try EndpointURL(parsing: $0, flag: flag) }
    }
}
