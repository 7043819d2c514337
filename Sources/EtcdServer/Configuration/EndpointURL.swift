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
        guard let schemeEnd = Self.range(of: "://", in: text) else { throw invalid("missing scheme") }
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
        let parts = text.split(separator: ",").map { trimmingWhitespace($0) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ConfigurationError("--\(flag) must not be empty") }
        return try parts.map { try EndpointURL(parsing: $0, flag: flag) }
    }

    /// The first occurrence of an ASCII `needle`, compared byte for byte.
    private static func range(of needle: String, in text: String) -> Range<String.Index>? {
        let haystack = Array(text.utf8)
        let wanted = Array(needle.utf8)
        guard !wanted.isEmpty, haystack.count >= wanted.count else { return nil }
        for start in 0 ... haystack.count - wanted.count where haystack[start ..< start + wanted.count].elementsEqual(wanted) {
            let lower = text.utf8.index(text.utf8.startIndex, offsetBy: start)
            let upper = text.utf8.index(lower, offsetBy: wanted.count)
            return lower ..< upper
        }
        return nil
    }
}

/// `text` without leading and trailing spaces and tabs: what Foundation's
/// `trimmingCharacters(in: .whitespaces)` removes (Unicode space separators and tab).
func trimmingWhitespace(_ text: Substring) -> String {
    func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isWhitespace($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !isWhitespace($0) })!
    return String(Substring(scalars[first ... last]))
}
