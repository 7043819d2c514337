/// A peer URL as given in `--listen-peer-urls` / `--initial-advertise-peer-urls`: `http://host:port`.
///
/// Only plain TCP exists so far. `https` is refused here, which is also where a TLS flag would be
/// carried from once it is supported (see `PeerConnector.connect`, the one place that dials).
struct PeerURL: Sendable, Equatable, CustomStringConvertible {
    let host: String
    let port: Int
    let description: String

    init(parsing text: String) throws(PeerTransportError) {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("http://") {
            rest = text.dropFirst("http://".count)
        } else if lowered.hasPrefix("https://") {
            throw .invalidURL("\(text): https peer URLs (TLS) are not supported yet")
        } else {
            throw .invalidURL("\(text): expected http://host:port")
        }
        let authority = rest.prefix { $0 != "/" }
        let hostPart: Substring
        let portPart: Substring
        if authority.hasPrefix("[") {
            // IPv6 literal: [addr]:port
            guard let close = authority.firstIndex(of: "]"),
                  authority[authority.index(after: close)...].hasPrefix(":") else {
                throw .invalidURL("\(text): expected [ipv6]:port")
            }
            hostPart = authority[authority.index(after: authority.startIndex) ..< close]
            portPart = authority[authority.index(close, offsetBy: 2)...]
        } else {
            guard let colon = authority.lastIndex(of: ":") else {
                throw .invalidURL("\(text): missing port")
            }
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else {
            throw .invalidURL("\(text): missing host")
        }
        guard let port = Int(portPart), (1 ... 65_535).contains(port) else {
            throw .invalidURL("\(text): invalid port")
        }
        self.host = String(hostPart)
        self.port = port
        self.description = text
    }
}
